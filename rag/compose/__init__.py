"""Composing answers: the candidate sentences of the retrieved passages and their features
(evidence), the learned confidence (answerability), the generators that draft an answer
(generators/), whole-document drafts (summarize, drafts), citations checked against the
passages (citations), and the pipeline that runs them (answer)."""
