"""The emergency safety net (knowledge/emergency.py + knowledge/emergency_lexicon.yml).

Every phrasing in EMERGENCIES must be detected: a miss is unacceptable. ORDINARY messages
need not be detected, but false alarms are counted and must stay below MAX_FALSE_ALARM_RATE
so that the 112 line keeps its meaning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.emergency import DEFAULT_LEXICON, EmergencyDetector
from knowledge.loader import safe_load

MAX_FALSE_ALARM_RATE = 0.25

EMERGENCIES = [
    # Fragments
    "kniv",
    "Han har kniv",
    "pistol!!",
    "vapen i receptionen",
    "det brinner",
    "BRAND",
    "bomb",
    "gisslan",
    "ring 112",
    "hjälp, kom fort",
    "snälla hjälp",
    "han slår mig",
    "hon blöder",
    # Typos, missing diacritics, repeated letters, ASCII spellings
    "han har en knv",
    "kniiiiv",
    "han har en kinv i handen",
    "det brinenr i trapphuset",
    "hjäääälp han hotar mig",
    "hjalp han star har och skriker",
    "han star utanfor och hotar",
    "han ska doda mig",
    "han sa att han ska morda oss",
    "de slar varandra i vantrummet",
    "tva klienter sloss i korridoren",
    "hjaelp han ar aggressiv just nu",
    "han sköt mot fönstret",
    "han skjter",
    "HAN HAR ETT VAPEN",
    "jsut nu hotar han kollegan",
    "Han blöder mycket från huvudet",
    "han e jätte aggresiv o står utanför dörren",
    # Compound words
    "jag blev knivhotad",
    "det är ett pistolhot mot receptionen",
    "vi har fått ett bombhot",
    "han är beväpnad med ett skjutvapen",
    "han har hotat med en köksknivar",
    "en man tar gisslan på kontoret",
    "min kollega är knivhuggen",
    "dödshot just nu i telefon",
    "det luktar brandrök i korridoren",
    # Threat or violence words together with urgency markers
    "en man hotar oss just nu",
    "han står utanför dörren och skriker",
    "han väntar på mig vid bilen och är jättearg, jag är rädd",
    "det är en aggressiv person i receptionen",
    "han försöker ta sig in och skriker att han ska hämnas",
    "han bryter sig in",
    "någon följer efter mig och hotar mig",
    "han är tillbaka och hotfull",
    "hjälp, han är våldsam",
    "han vägrar gå och kastar stolar",
    "en galen man står här och skriker",
    "han sitter och hotar min kollega i mötesrummet",
    "klienten är påverkad och bråkar i väntrummet",
    "han står utanför mitt hus nu och stirrar",
    # Acts of violence and danger
    "han sparkar på dörren",
    "han stryper henne",
    "hon misshandlar sitt barn här",
    "han har tänt eld på papperskorgen",
    "någon har slagit ner en väktare",
    "han har en yxa",
    "han hotar att spränga huset",
    "en patient tog tag i mig och jag kommer inte loss",
    "han högg henne i armen",
    "han håller fast mig",
    "jag har låst in mig på toaletten",
    "jag gömmer mig under skrivbordet",
    "han säger att han ska ta livet av sig",
    "hon andas inte",
    "ring ambulans",
    "det är ett rån",
    # Stories
    "Jag sitter i receptionen och en man har precis kommit in. Han skriker att han ska "
    "döda handläggaren som tog hans barn.",
    "Hej. Jag jobbar på socialkontoret och en pappa som är missnöjd med beslutet står "
    "utanför entrén och väntar på mig. Han har hotat mig tidigare.",
    "Vi hade ett möte som spårade ur, han kastade en stol och nu sitter han kvar i rummet och vägrar gå",
    "min kollega blev slagen i ansiktet för fem minuter sedan och mannen är kvar här",
    "Jag är på hembesök och sonen i familjen har blivit hotfull, jag vågar inte gå ut härifrån, han står i hallen",
    # Presence without a threat word: lurking, following, getting in, trapped
    "han väntar utanför",
    "någon försöker ta sig in",
    "han följer efter mig",
    "han blockerar dörren så jag kommer inte ut",
    "han vägrar släppa ut mig",
    "han kommer emot mig",
    "nu kommer han in",
    "kan ni skicka någon hit",
    "en person har klättrat in genom fönstret",
    "en man med maskering står i entrén",
    "jag känner mig inte säker just nu",
    # Very short cries for help
    "HJÄLP!!!",
    "sos",
    "larm",
    "jag är rädd",
    # Negations and contexts never suppress
    "han har inte kniven längre",
    "förra veckan hotade han att skjuta mig",
    "skämt åsido, han har en pistol",
]

ORDINARY = [
    "vad gör jag om jag blir erbjuden en gåva?",
    "hur anmäler jag jäv?",
    "jag fick ett hotfullt mejl förra veckan",
    "får jag ta emot blommor från en klient?",
    "vad räknas som en muta?",
    "min chef vill att jag tar ett beslut som gynnar hans vän, vad gör jag?",
    "måste jag anmäla en bisyssla?",
    "hur skriver jag en incidentrapport efter ett hot?",
    "vem ska jag kontakta om jag blir trakasserad på sociala medier?",
    "kan jag skydda min adress i folkbokföringen?",
    "vad säger lagen om olaga hot?",
    "hur förebygger vi hot och våld på arbetsplatsen?",
    "vad innebär arbetsmiljöansvaret för chefer?",
    "en leverantör bjöd mig på lunch, är det okej?",
    "min kusin har sökt bygglov hos oss, får jag handlägga ärendet?",
    "hur anmäler jag ett arbetsmiljöärende till Arbetsmiljöverket?",
    "kan jag få stöd efter en jobbig händelse?",
    "vad är otillåten påverkan?",
    "hur länge ska vi spara dokumentationen?",
    "tack för hjälpen!",
    "Hej, jag behöver hjälp med en fråga om sekretess.",
    "vilka utbildningar finns om bemötande?",
    "kan vi skjuta upp mötet till nästa vecka?",
    "någon har skrivit elaka kommentarer om mig på Facebook",
    "ska vi polisanmäla klotter på kontoret?",
    "hur ofta ska riskbedömningen göras?",
    "var hittar jag blanketten för tillbudsrapport?",
    "vad är skillnaden mellan hot och trakasserier?",
    "min kollega blev hotad förra månaden, hur kan jag stötta henne?",
    "kan en journalist begära ut mina mejl?",
    "vi har brandövning nästa vecka, vem ansvarar?",
    "hur hanterar jag en arg medborgare i telefon?",
    "vilka regler gäller för representation?",
    "en sökande erbjöd mig pengar för att snabba på ärendet",
    "hur gör jag en säkerhetsanalys inför ett möte med en svår klient?",
    "finns det stöd från företagshälsovården?",
    "vad betyder saklighet och opartiskhet?",
    "kan jag avböja att träffa en klient som tidigare varit hotfull?",
    "min chef slog fast att vi ska ha larm i receptionen",
    "hur fungerar överfallslarmet?",
    "vad gör jag om en klient hotar mig i telefon?",
    "vilket stöd kan jag få om jag blivit utsatt för våld?",
    "vad ska stå i en handlingsplan mot hot och våld?",
    "behöver vi en rutin för ensamarbete?",
    "får jag ta emot ett presentkort från en anhörig?",
    "hur ska vi dokumentera hot mot förtroendevalda?",
    "vad gör jag om någon försöker påverka mitt beslut?",
    "ska jag berätta för min chef att min svåger är part i ärendet?",
    "vad gör en säkerhetssamordnare?",
    "hotad politiker",
    "polis anmälan",
    "larm i receptionen",
    "tack snälla",
    "hej",
    "",
]


@pytest.fixture(scope="module")
def detector() -> EmergencyDetector:
    return EmergencyDetector.from_file()


def test_the_lists_are_big_enough():
    assert len(EMERGENCIES) >= 60
    assert len(ORDINARY) >= 40


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergency_is_detected(detector, text):
    assert detector.detect(text), f"missed emergency: {text!r} -> {detector.normalise(text)}"
    assert detector.is_emergency(text)


def test_false_alarm_rate_on_ordinary_messages(detector):
    alarms = {text: detector.detect(text) for text in ORDINARY if detector.detect(text)}
    rate = len(alarms) / len(ORDINARY)
    print(f"false alarms: {len(alarms)}/{len(ORDINARY)} = {rate:.1%}: {alarms}")
    assert rate < MAX_FALSE_ALARM_RATE, alarms


def test_threat_word_alone_is_not_an_emergency(detector):
    # Otherwise every question about threats would get the 112 line.
    assert detector.detect("jag fick ett hotfullt mejl förra veckan") == []
    assert detector.detect("hotfull") == []
    assert detector.detect("just nu") == []


def test_threat_and_urgency_report_both(detector):
    hits = detector.detect("han är aggressiv just nu")
    assert "*aggressiv*" in hits and "just nu" in hits


def test_normalisation(detector):
    assert detector.normalise("HJÄÄÄÄLP!!! Står här, vid dörren.") == ["hjalp", "star", "har", "vid", "doren"]
    assert detector.normalise("Hjaelp, ring 112") == ["hjalp", "ring", "112"]
    assert detector.normalise("e\u0301lev a\u030a") == ["elev", "a"]  # decomposed accents


def test_prefix_entries_do_not_match_inside_other_words(detector):
    # "brand" is whole-word only; "hota*" must not fire on "hotell" (and "hotell" has no urgency)
    assert detector.detect("vi ska byta brandvägg") == []
    assert detector.detect("hotellet ligger utanför stan") == []


def test_never_suppress_list_does_not_suppress(detector):
    lexicon = safe_load(Path(DEFAULT_LEXICON).read_text(encoding="utf-8"))
    for negation in lexicon["never_suppress"]:
        assert detector.detect(f"{negation} han har en kniv"), negation
        assert detector.detect(f"han har en kniv {negation}"), negation


def test_every_lexicon_entry_matches_itself(detector):
    # Catches entries that normalisation turns into something unmatchable.
    lexicon = safe_load(Path(DEFAULT_LEXICON).read_text(encoding="utf-8"))
    for group in lexicon["strong"].values():
        for entry in group:
            text = " ".join(word.split("|")[0] for word in entry.replace("*", "").split())
            assert entry in detector.detect(text), entry
    count = sum(len(g) for s in ("strong", "threat", "urgency") for g in lexicon[s].values())
    assert count >= 200


def test_non_string_entries_are_rejected(tmp_path):
    bad = tmp_path / "lexicon.yml"
    bad.write_text("strong:\n  numbers: [112]\n", encoding="utf-8")
    with pytest.raises(ValueError):
        EmergencyDetector.from_file(str(bad))


def test_empty_lexicon_is_refused(tmp_path):
    empty = tmp_path / "lexicon.yml"
    empty.write_text("strong: {}\n", encoding="utf-8")
    with pytest.raises(ValueError):
        EmergencyDetector.from_file(str(empty))


def test_an_unchanged_lexicon_is_compiled_once_per_process_and_an_edit_is_seen(tmp_path):
    lexicon = tmp_path / "lexicon.yml"
    lexicon.write_text("strong:\n  words: [brinner]\n", encoding="utf-8")
    first = EmergencyDetector.from_file(str(lexicon))
    assert EmergencyDetector.from_file(str(lexicon)) is first
    assert first.detect("det brinner") and not first.detect("han har en kniv")
    lexicon.write_text("strong:\n  words: [brinner, kniv]\n", encoding="utf-8")
    edited = EmergencyDetector.from_file(str(lexicon))
    assert edited is not first and edited.detect("han har en kniv")
    lexicon.write_text("strong: {}\n", encoding="utf-8")
    for _ in range(2):  # an empty safety net is refused every time, never served from before
        with pytest.raises(ValueError):
            EmergencyDetector.from_file(str(lexicon))
