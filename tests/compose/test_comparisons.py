"""Comparisons, answered over a real index of the sample: a cited group per side."""

from __future__ import annotations

import re


from rag.compose.citations import claims, is_frame
from rag.evaluation import unsupported_sentences


def test_a_three_way_comparison_has_a_cited_group_per_side(pipeline):
    result = pipeline.ask("Compare Guangdong, Zhejiang and Chongqing.")
    assert result.answer.startswith("Comparison of Guangdong, Zhejiang and Chongqing")
    assert unsupported_sentences(result) == 0
    _, rest = result.answer.split("\nGuangdong:")
    guangdong, rest = rest.split("\nZhejiang:")
    zhejiang, chongqing = rest.split("\nChongqing:")
    chongqing = chongqing.split("\n\n[1]")[0]  # the group, not the evidence list after it
    for place, group in (("Guangdong", guangdong), ("Zhejiang", zhejiang),
                         ("Chongqing", chongqing)):
        assert place in group and re.search(r"\. \[\d\]", group)


def test_a_comparison_against_a_descriptive_word_groups_both_sides(pipeline):
    result = pipeline.ask("Compare China's and Western approaches to digital governance.")
    assert result.kind == "comparison" and not result.abstained
    assert unsupported_sentences(result) == 0
    china, western = result.answer.split("\nWestern:")
    assert "China:" in china and "Western norms" in western and "[" in western


def test_a_comparison_asked_as_a_choice_names_it_and_searches_each_side_for_it(pipeline):
    result = pipeline.ask("Ma or Yuan: who led a lunar mission?")
    assert result.answer.startswith("Comparison of Ma and Yuan in ")
    assert "(who led a lunar mission?):" in result.answer.split("\n")[0]
    assert unsupported_sentences(result) == 0
    ma, yuan = result.answer.split("\nYuan:")
    assert "lunar" in ma and "Yuan" in yuan.split("\n\n[1]")[0]
    aspect = pipeline.ask("Compare Ma and Yuan regarding Xinjiang")
    assert aspect.answer.startswith("Comparison of Ma and Yuan regarding Xinjiang in ")
    ma, yuan = aspect.answer.split("\nYuan:")
    assert "Xinjiang" in ma and "_None of these" not in ma  # a named aspect: said when missing
    assert "_None of these names Xinjiang: nothing in the sources connects Yuan with it._" in yuan
    how = pipeline.ask("Compare how Guangdong and Zhejiang approached the digital economy")
    assert how.answer.startswith(
        "Comparison of how Guangdong and Zhejiang approached the digital economy in ")


def test_comparison_groups_each_side_with_its_provinces(pipeline):
    result = pipeline.ask("Compare the careers of Ma Xingrui and Yuan Jiajun.")
    assert result.kind == "comparison" and not result.abstained
    assert unsupported_sentences(result) == 0
    groups, current = {}, None
    for claim, cited in claims(result.answer):
        if is_frame(claim) and claim.endswith(":"):
            current = claim[:-1]
            groups[current] = []
        elif current:
            groups[current].append((claim, cited))
    assert set(groups) >= {"Ma Xingrui", "Yuan Jiajun"}
    ma = " ".join(c for c, _ in groups["Ma Xingrui"])
    yuan = " ".join(c for c, _ in groups["Yuan Jiajun"])
    assert all(n for _, n in groups["Ma Xingrui"] + groups["Yuan Jiajun"])
    assert "Guangdong" in ma or "Shenzhen" in ma
    assert "Zhejiang" in yuan or "Chongqing" in yuan


def test_a_comparison_by_a_repeated_word_keeps_it_in_the_heading(pipeline):
    result = pipeline.ask("compare the economy in Guangdong and in Zhejiang")
    assert result.answer.startswith("Comparison of the economy in Guangdong and in Zhejiang")
    assert "Guangdong:" in result.answer and "Zhejiang:" in result.answer


def test_a_side_named_only_beside_the_other_still_gets_its_sentence(pipeline):
    result = pipeline.ask("how is china's approach to cyber governance different from western "
                          "norms")
    assert result.kind == "comparison" and unsupported_sentences(result) == 0
    western = result.answer.split("\n\n[1]")[0].split("\nWestern norms:")[1]
    assert "compared with Western norms" in western and "_Nothing" not in western


def test_a_comparison_with_the_aspect_after_the_verb_keeps_each_side_its_own(pipeline):
    result = pipeline.ask("How do Ma Xingrui and Yuan Jiajun compare in their approaches to "
                          "the digital economy?")
    assert result.kind == "comparison" and unsupported_sentences(result) == 0
    assert result.answer.startswith("Comparison of Ma Xingrui and Yuan Jiajun in their "
                                    "approaches to the digital economy in ")
    ma, yuan = result.answer.split("\n\n[1]")[0].split("\nYuan Jiajun:")
    assert "Shenzhen in 2015" not in yuan  # "He became ..." follows "Ma, like Yuan, ..."


def test_a_word_both_sides_share_does_not_tell_them_apart(pipeline):
    result = pipeline.ask("How do central and provincial governments differ?")
    central, provincial = result.answer.split("\nprovincial governments:")
    central = central.split("\ncentral governments:")[1]
    said = {side: [c.lower() for c, _ in claims(text)]
            for side, text in (("central", central), ("provincial", provincial))}
    assert said["central"] and said["provincial"]
    for side, other in (("central", "provincial"), ("provincial", "central")):
        # "governments" alone does not put a sentence in a group; the other side's word does
        # not either
        assert not any(other in c and side not in c for c in said[side]), said[side]
    assert any("central" in c for c in said["central"])
    assert unsupported_sentences(result) == 0


def test_a_side_typed_in_lower_case_is_labelled_as_the_sources_write_it(pipeline):
    result = pipeline.ask("shenzhen vs chongqing - how are they described?")
    assert result.answer.startswith("Comparison of Shenzhen and Chongqing in")
    labels = [c for c, _ in claims(result.answer) if is_frame(c)]
    assert "Shenzhen:" in labels and "Chongqing:" in labels
    assert unsupported_sentences(result) == 0


def test_a_side_named_by_an_acronym_the_sources_never_use_is_spelled_out(pipeline):
    result = pipeline.ask("How do the NDB and CAC roles differ?")
    assert result.answer.startswith("Comparison of the roles of National Data Bureau and CAC")
    bureau, cac = result.answer.split("\nCAC:")
    assert "Nothing in the sources" not in bureau and "National Data Bureau was" in bureau
    assert "The CAC’s function" in cac
    assert unsupported_sentences(result) == 0


def test_a_side_with_nothing_says_so_instead_of_abstaining(pipeline):
    result = pipeline.ask("Compare Yuan Jiajun and Greta Thunberg")
    assert result.kind == "comparison" and not result.abstained
    assert "_Nothing in the sources is about Greta Thunberg._" in result.answer
    assert "Yuan" in result.answer.split("Greta Thunberg:")[0]


def test_a_side_the_sources_only_describe_with_its_adjective(pipeline):
    """"the West" is only ever "Western norms" in the sample: that sentence is its side."""
    from rag.compose.drafts import adjectives

    assert "Western" in adjectives("West") and "Chinese" in adjectives("China")
    assert "European" in adjectives("Europe") and adjectives("Ma") == []
    result = pipeline.ask("How does China's approach differ from the West?")
    assert result.kind == "comparison" and not result.abstained
    west = result.answer.split("\nWest:")[1]
    assert "compared with Western norms" in west.split("\n[1]")[0]
    assert "Nothing in the sources" not in result.answer
    assert unsupported_sentences(result) == 0
    # so is a topic's: what the text says about the West is its "Western norms" sentence
    result = pipeline.ask("What does the text say about the West?")
    assert result.kind == "overview" and not result.abstained
    assert "compared with Western norms" in result.answer
    assert pipeline.ask("What does the text say about Europe?").abstained  # nobody wrote it
