"""Question understanding beyond the example table: comparisons' sides and aspects, files named, counts asked, what is searched for."""

from __future__ import annotations


import pytest

from rag.understand.documents import by_subject, named_files
from rag.understand.intent import detect
from rag.understand.rewrite import searchable
from rag.text import fold


FILES = ["Nikola_Tesla.txt", "Yuan_dynasty.txt", "Steam_engine.txt",
         "china-digital-economy-governance.txt"]


MORE = ["Apollo_program.txt", "Genghis_Khan.txt", "Victoria_and_Albert_Museum.txt", *FILES]


def test_comparison_subjects_and_aspect():
    roles = detect("NDB versus CAC: roles?")  # a short aspect after the colon
    assert roles.sides == ["NDB", "CAC"] and roles.aspect == "roles" and roles.by == "of"
    weighed = detect("economic benefits vs control: where does the article see them conflict?")
    assert weighed.kind == "comparison" and weighed.sides == ["economic benefits", "control"]
    intent = detect("Compare the careers of Ma Xingrui and Yuan Jiajun.")
    assert intent.sides == ["Ma Xingrui", "Yuan Jiajun"] and intent.aspect == "careers"
    assert detect("How do Ma and Yuan differ?").sides == ["Ma", "Yuan"]
    owned = detect("Compare Ma Xingrui's and Yuan Jiajun's careers")
    assert owned.sides == ["Ma Xingrui", "Yuan Jiajun"] and owned.aspect == "careers"
    assert detect("What do Ma Xingrui and Yuan Jiajun have in common?").sides == [
        "Ma Xingrui", "Yuan Jiajun"]
    assert detect("How are Ma and Yuan alike?").sides == ["Ma", "Yuan"]
    for asked in ("What sets Ma apart from Yuan?", "In what ways are Ma and Yuan similar?",
                  "Ma and Yuan - how do they differ?", "Side by side, how do Ma and Yuan stack up?",
                  "How do Ma and Yuan differ according to the article?",
                  "What do Ma and Yuan have in common here?",
                  "Ma and Yuan — how are they similar and different in the article?"):
        assert detect(asked).sides == ["Ma", "Yuan"], asked  # not "Yuan differ according"
    told = detect("Tell me how Ma's path differs from Yuan's.")
    assert told.sides == ["Ma", "Yuan"] and told.aspect == "path"
    assert detect("What do you have in common?").kind == "factoid"
    # a possessive against a descriptive word: the word is the side, the rest the aspect
    western = detect("Compare China's and Western approaches to digital governance.")
    assert western.sides == ["China", "Western"]
    assert western.aspect == "approaches to digital governance"
    assert detect("Compare Ma's and Yuan Jiajun careers").sides == ["Ma", "Yuan Jiajun"]
    # three sides (Oxford comma or not); a clause after a comma is not a side
    for three in ("Compare Guangdong, Zhejiang and Chongqing.",
                  "What do Guangdong, Zhejiang, and Chongqing have in common?"):
        assert detect(three).sides == ["Guangdong", "Zhejiang", "Chongqing"]
    contrast = detect("Contrast Guangdong with Zhejiang in terms of tech sectors.")
    assert contrast.sides == ["Guangdong", "Zhejiang"] and contrast.aspect == "tech sectors"
    # the aspect after the sides: "regarding X", "on X", "which is bigger?"
    for question, subjects, aspect, by in [
            ("Compare Ma and Yuan regarding Xinjiang", ["Ma", "Yuan"], "Xinjiang", "regarding"),
            ("Compare Ma and Yuan on Xinjiang.", ["Ma", "Yuan"], "Xinjiang", "on"),
            ("Compare the views of Ma and Yuan on tech", ["Ma", "Yuan"], "views on tech", "of"),
            ("Compare Ma and Yuan's careers", ["Ma", "Yuan"], "careers", "of"),
            ("Which is bigger, Guangdong or Zhejiang?", ["Guangdong", "Zhejiang"], "bigger",
             "Which is bigger?"),
            ("Which province is richer: Guangdong, Zhejiang or Chongqing?",
             ["Guangdong", "Zhejiang", "Chongqing"], "is richer", "Which province is richer?"),
            ("Ma or Yuan: who led a lunar mission?", ["Ma", "Yuan"], "led a lunar mission",
             "who led a lunar mission?"),
            ("How did the 2001 report compare to reality on sea levels?", ["2001 report",
             "reality"], "sea levels", "on"),
            ("Ma Xingrui versus Yuan Jiajun: who has more tech experience?", ["Ma Xingrui",
             "Yuan Jiajun"], "has more tech experience", "who has more tech experience?"),
            ("How does Ma's approach differ from Yuan's?", ["Ma", "Yuan"], "approach", "of"),
            ("How do the NDB and CAC roles differ?", ["NDB", "CAC"], "roles", "of"),
            ("Compare and contrast Ma and Yuan", ["Ma", "Yuan"], "", "of"),
            ("Compare how Guangdong and Zhejiang approached the digital economy",
             ["Guangdong", "Zhejiang"], "approached the digital economy", "how"),
            # a name holding "of" is one side; words on where it is said only set the scope
            ("What distinguishes the NDRC from the Cyberspace Administration of China?",
             ["NDRC", "Cyberspace Administration of China"], "", "of"),
            ("Could you compare China and the US as portrayed in the text?", ["China", "US"],
             "", "of"),
            # a word repeated before each side sets them apart; before it, the aspect
            ("Contrast Tesla's dealings with George Westinghouse and with J. P. Morgan.",
             ["George Westinghouse", "J. P. Morgan"], "Tesla's dealings", "each with"),
            ("compare the economy in Guangdong and in Zhejiang", ["Guangdong", "Zhejiang"],
             "the economy", "each in"),
            # "to" inside the first side: "with" separates them
            ("Contrast China's approach to digital governance with Western approaches.",
             ["China", "Western approaches"], "approach to digital governance", "of"),
            ("How similar are Ma Xingrui and Yuan Jiajun's backgrounds?",
             ["Ma Xingrui", "Yuan Jiajun"], "backgrounds", "of"),
            ("economic benefits versus control - how does the author weigh them?",
             ["economic benefits", "control"], "", "of"),
            # one describing word takes the noun of the other side; a plural does not
            ("How do urban and rural areas differ?", ["urban areas", "rural areas"], "", "of"),
            ("Compare the roles of central and provincial governments",
             ["central governments", "provincial governments"], "roles", "of"),
            ("Compare cats and small dogs", ["cats", "small dogs"], "", "of"),
            # ... nor a name: "southern China" is not "Xinjiang China"
            ("Xinjiang vs southern China - how do they differ?", ["Xinjiang", "southern China"],
             "", "of"),
            ("Xinjiang vs southern China — how do they differ as places to invest?",
             ["Xinjiang", "southern China"], "", "of"),
            # what is compared, after the verb
            ("How do Ma and Yuan compare in their approaches to the digital economy?",
             ["Ma", "Yuan"], "their approaches to the digital economy", "in"),
            ("How do Ma and Yuan differ on innovation?", ["Ma", "Yuan"], "innovation", "on"),
            ("What do Ma and Yuan have in common, and where do they differ, in terms of "
             "scientific background?", ["Ma", "Yuan"], "scientific background", "in terms of"),
            ("How do the roles of the central government and the provinces differ in digital "
             "policy?", ["central government", "provinces"], "roles in digital policy", "of"),
            ("Shenzhen vs Zhejiang: how did each pioneer digital initiatives?",
             ["Shenzhen", "Zhejiang"], "", "of")]:
        intent = detect(question)
        assert (intent.sides, intent.aspect, intent.by) == (subjects, aspect, by), question
    assert detect("How do rocks on the Moon compare to those on Earth?").sides == [
        "rocks on the Moon", "those on Earth"]  # a pronoun is not a side
    assert detect("How do both membranes compare to cyanobacterium's double membranes?"
                  ).sides == ["both membranes", "cyanobacterium's double membranes"]
    assert detect("Compare the role of the NDB, which sits in the NDRC, and the CAC"
                  ).sides == ["NDB, which sits in the NDRC", "CAC"]


def test_a_question_naming_a_file_is_scoped_to_it():
    files = ["china-digital-economy-governance.txt", "okapi-notes.txt", "a.pdf"]
    assert named_files("Summarize okapi-notes.txt", files) == ["okapi-notes.txt"]
    assert named_files("What does the okapi notes file say?", files) == ["okapi-notes.txt"]
    assert named_files("What is a digital economy?", files) == []  # "a" is too short a name
    assert detect("Summarize okapi-notes.txt", files).files == ["okapi-notes.txt"]


def test_a_question_about_how_something_else_began_is_a_fact():
    assert detect("How did the war begin?").kind == "factoid"
    assert detect("What is the beginning of the Cold War?").kind == "factoid"
    assert detect("Summarize the start of Ma's career").topic == "the start of Ma's career"


def test_a_yes_no_comparison_of_names_is_a_comparison():
    intent = detect("Is Ma's path similar to Yuan's?")
    assert (intent.kind, intent.sides, intent.aspect) == ("comparison", ["Ma", "Yuan"], "path")
    assert detect("Is the NDB different from the CAC?").sides == ["NDB", "CAC"]
    for question in ("Is it similar to the old system?", "Are prices different from last year?"):
        assert detect(question).kind == "factoid", question  # a pronoun, or no name: a fact


def test_a_list_of_a_kind_of_place_in_bullets():
    assert detect("Give me a bullet list of the provinces mentioned").names == "places"


@pytest.mark.parametrize("question, count", [
    ("Summarize it in one sentence", 1), ("Give me three bullet points summarising it", 3),
    ("tl;dr in 2 lines", 2), ("Sum it up in a couple of sentences", 2),
    ("What are the 5 key takeaways?", 5), ("Summarize the article", None),
    ("Summarize in 50 words", None), ("Summarize the first two paragraphs", None),
    ("Summarize it in 12 points", None),  # more than an overview gives: its own length
])
def test_the_number_of_sentences_a_question_asks_for(question, count):
    from rag.understand.intent import asked_count

    assert asked_count(question) == count


@pytest.mark.parametrize("question", [  # a subject no file name holds, an owner, a word
    "What does the article on Ma say?", "What did the Yuan dynasty's paper money replace?",
    "Which article of the treaty covers steam?", "What does this document say?"])
def test_not_a_document_named_by_its_subject(question):
    assert by_subject(question, FILES) == (fold(question), [])


def test_an_abbreviation_must_spell_one_file_name():
    assert by_subject("what is the va doc about", MORE)[1] == []  # written in capitals
    assert by_subject("Summarize the XY article", MORE)[1] == []  # no file's initials
    two = ["Victoria_and_Albert_Museum.txt", "Vintage_Aircraft.txt"]
    assert by_subject("Summarize the V&A doc", two)[1] == []  # which of the two?


def test_a_comparison_asked_then_explained():
    intent = detect("Which started earlier, the V&A or the Apollo program? Compare when "
                    "each began.")
    assert (intent.kind, intent.sides) == ("comparison", ["V&A", "Apollo program"])


def test_every_date_or_year_is_the_roll_call_of_dates():
    assert detect("hey can u list every date or year mentioned").names == "dates"


def test_a_comparison_is_not_scoped_to_the_file_one_side_names():
    intent = detect("Compare Tesla's bladeless turbine with the steam turbines described in "
                    "the steam engine article.", FILES)
    assert intent.kind == "comparison" and intent.files == []
    assert intent.sides == ["Tesla", "steam turbines"]  # "described in ..." is no side


@pytest.mark.parametrize("question, searched", [
    ("List the provinces Ma Xingrui has worked in.", "Which provinces Ma Xingrui has worked in?"),
    ("Name the agencies mentioned in the article.", "Which agencies?"),
    ("Give me a list of the agencies in the text.", "Which agencies?"),
    ("Show me all the provinces", "Which provinces?"),
    ("According to the article, when was the bureau set up?", "When was the bureau set up?"),
    ("What might threaten security, according to the report?", "What might threaten security?"),
    ("Describe the National Data Bureau.", "What is the National Data Bureau?"),
    ("Tell me about the role of the CAC", "What is the role of the CAC?"),
    ("Can you explain why Xi trusts Ma?", "Why Xi trusts Ma?"),
    ("What initiatives does it describe?", "What initiatives?"),
    ("Give me a bullet list of the agencies.", "Which agencies?"),
    ("What inputs does the government oversee, list them", "What inputs does the government "
     "oversee?"),
    ("Which initiatives did Yuan champion? Give me a list.", "Which initiatives did Yuan "
     "champion?"),
    ("What fields did the labs work on? List them.", "What fields did the labs work on?"),
    ("Can you list the government agencies referenced in the text?", "Which government "
     "agencies?"),
    ("What are the main challenges mentioned?", "What are the challenges?"),
    ("What does the article say about ChatGPT?", "What does it say about ChatGPT?"),
    ("What did the report say on the budget?", "What did it say on the budget?"),
    ("List the challenges discussed.", "Which challenges?"),
    ("What are the risks that are raised?", "What are the risks?"),
    ("What challenges are described?", "What challenges?"),
    ("What were the three key reforms?", "What were the three reforms?"),
    # asking words only when they are about the asking
    ("How is the NDRC described?", "How is the NDRC described?"),
    ("Which agencies are mentioned?", "Which agencies?"),
    ("what challenges are identified?", "What challenges?"),
    ("List every place name in the text.", "Which place name?"),
    ("How many of Grainger Town's 450 buildings are listed?",  # a listed building: content
     "How many of Grainger Town's 450 buildings are listed?"),
    ("Name a luxury division of Toyota.", "Name a luxury division of Toyota."),
    ("What is in the news?", "What is in the news?"),
    ("When was the bureau mentioned?", "When was the bureau mentioned?"),  # the verb asked
    ("What is the article about?", "What is the article about?"),  # an overview, not this
    ("What are the companies listed?", "What are the companies listed?"),
    ("What are the main exports of Brazil?", "What are the main exports of Brazil?"),
    ("What are the most important things in this document?",  # nothing left unranked
     "What are the most important things?"),
    ("What is the main reason?", "What is the main reason?"),
    ("List them.", "List them."),  # nothing would be left to search for
])
def test_words_about_the_asking_are_not_searched_for(question, searched):
    assert searchable(question) == searched
