"""Names in the documents (rag.understand.names): people, organisations, places, dates and the kinds the text calls them."""

from __future__ import annotations



from conftest import sentences_of
from rag.understand.names import asked_person_kind, called, dates, organisations, people, places
from rag.compose.summarize import (mentions)


def test_a_name_is_mentioned_as_a_name():
    assert mentions("Ma Xingrui", "During Ma’s tenure as governor of Guangdong")
    assert not mentions("the National Data Bureau", "an enforcer of data governance")
    assert mentions("the National Data Bureau", "The new National Data Bureau will")
    # a name written with letters beyond a-z is one word ("Temür", not "Tem" and "r")
    assert mentions("Temür Khan", "After Temür Khan died, the court split.")
    assert mentions("Temur Khan", "After Temür Khan died, the court split.")
    assert mentions("formal", "formal imperialism")  # a side written in lower case
    # a name joined by "of": its head or its acronym, not its last word alone
    cac = "Cyberspace Administration of China"
    assert mentions(cac, "The CAC’s function as an enforcer")
    assert mentions(cac, "The Cyberspace Administration issued rules")
    assert not mentions(cac, "In terms of China’s digital economy")


def test_people_are_told_from_places_bodies_and_products():
    sents = sentences_of(
        "The museum of the Greater Bay Area opened in the spring.",
        "Its first curator was Marie Curie, a chemist from Warsaw.",
        "She had studied with Pierre Curie in Paris.",
        "Funding came from the National Data Bureau and Zhejiang University.",
        "The Toyota Corona was parked outside; a Toyota was parked there too.",
        "President Lula Silva opened the second wing.",
        "In the end, Ada Byron thanked the donors.")
    assert people(sents) == [("Marie Curie", 1), ("Pierre Curie", 2), ("Lula Silva", 5)]


def test_organisations_are_named_whole_with_their_acronym():
    sents = sentences_of(
        "Funding came from the National Data Bureau and the Greater Bay Area fund.",
        "The Cyberspace Administration of China (CAC) agreed.",
        "The Foundation said nothing; the national bureau was silent.",
        "Later the U.S. Court of Appeals for the First Circuit ruled.",
        "The Bureau's staff and Zhejiang University's students came.")
    assert organisations(sents) == [
        ("National Data Bureau", 0), ("Cyberspace Administration of China (CAC)", 1),
        ("U.S. Court of Appeals for the First Circuit", 3), ("Zhejiang University", 4)]


def test_places_are_told_from_bodies_people_events_and_adjectives():
    sents = sentences_of(
        "Ma Xingrui worked in Guangdong and Zhejiang before he moved.",
        "He was party secretary of Xinjiang, a region far from southern China.",
        "The bureau in the National Data Bureau building met in the Greater Bay Area.",
        "In Chinese society, a fund was set up in March by President Xi Jinping.",
        "Veterans of World War II met in Super Bowl 50 and spoke in Latin.",
        "A delegation from Zhejiang University came in the Kingdom.",
        "Letters from Ma Xingrui were read in Buddhist temples and in Room 101.")
    assert places(sents) == [("Guangdong", 0), ("Zhejiang", 0), ("Xinjiang", 1), ("China", 1),
                             ("the Greater Bay Area", 2)]


def test_dates_are_listed_earliest_first_as_written():
    sents = sentences_of(
        "The bureau was set up in March 2023 after years of planning.",
        "Ma became party secretary in 2015 and governor in 2017.",
        "Reform began after 1978, and 1,204 paragraphs were written in the 1990s.",
        "It had 2000 staff.")
    assert dates(sents) == [("1978", 2), ("1990s", 2), ("2015", 1), ("2017", 1),
                            ("March 2023", 0)]


def test_a_kind_of_place_is_what_the_text_calls_it():
    from rag.understand.names import asked_place_kind, described_as

    texts = ["Yuan won respect in the eastern province of Zhejiang.",
             "They were provincial party secretaries in Guangdong and Zhejiang.",
             "Now, in Chongqing, a politically critical megacity, he leads.",
             "He led the tech and innovation hub of Shenzhen, a city of Guangdong province."]
    assert described_as("Zhejiang", "province", texts)
    assert described_as("Guangdong", "province", texts)  # "provincial ... in" and "X province"
    assert described_as("Chongqing", "city", texts)
    assert not described_as("Shenzhen", "province", texts)
    assert not described_as("Chongqing", "province", texts)
    # a place that holds the city, or a name after a comma, is not one
    assert not described_as("Poland", "city", ["Warsaw is the largest city of Poland."])
    assert described_as("Warsaw", "city", ["He lived in the old city of Warsaw."])
    assert not described_as("Long Beach", "state", ["Ports at Long Beach, the United States."])
    assert asked_place_kind("Which provinces are mentioned?") == "province"
    assert asked_place_kind("list all the cities mentioned") == "city"
    assert asked_place_kind("List every place name in the text.") is None


def test_a_person_is_called_a_kind_of_person_right_beside_the_name():
    texts = ["Two of the new scientist members of the Politburo, Ma Xingrui and Yuan Jiajun, "
             "were pioneers.", "Ma, like Yuan, is another space scientist.",
             "Xi Jinping prioritized the economy.",
             "The fourth Yuan emperor, Buyantu Khan (Ayurbarwada), was competent.",
             "During the Yuan dynasty, the Emperor Kublai Khan invited the Duke.",
             "Among them was the astronomer Guo Shoujing."]
    assert called("Ma Xingrui", "scientist", texts) and called("Yuan Jiajun", "scientist", texts)
    assert not called("Xi Jinping", "scientist", texts)
    assert called("Buyantu Khan", "emperor", texts) and called("Kublai Khan", "emperor", texts)
    # "Khan" of "Buyantu Khan" is another's name; "Guo" is no emperor
    assert not called("Temür Khan", "emperor", texts)
    assert not called("Guo Shoujing", "emperor", texts) and called("Guo Shoujing", "astronomer",
                                                                   texts)
    assert asked_person_kind("Which scientists are mentioned?") == "scientist"
    assert asked_person_kind("which party secretaries are named?") == "secretary"
    assert asked_person_kind("Which people are mentioned?") is None
