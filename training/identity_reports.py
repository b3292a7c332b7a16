"""Reports about groups, sober and sensational, written by the project (issue 23).

Dixon et al. 2018 mitigate unintended bias by adding text that mentions identity terms with the
under-represented label. In the public corpora, words naming a group come more often with
sensational text (hyperpartisan outlets, propaganda) than with plain reporting. The model reads
every such word as one placeholder (:mod:`hypemeter.analysis.identity`), so what it can still
learn is that *a group is named*; these records show it plain reports that name groups, and
sensational ones that name the same groups, in equal numbers, so that naming a group says
nothing either way.

``python -m hypemeter.training.identity_reports`` writes ``datasets/sample/identity_reports.jsonl``
(the sample corpus's format, loaded with it: :mod:`hypemeter.training.corpora.registry`). The
frames and terms here are not the benchmark's (``benchmarks/fairness/``): the benchmark must
measure text the model never saw. Each sensational frame lists its loaded phrases (the span
model's annotations), none of which holds the term.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from hypemeter.records.results import Record

# (adjective form, people form)
TERMS: tuple[tuple[str, str], ...] = (
    ("Muslim", "Muslim families"), ("Jewish", "Jewish families"), ("Christian", "Christians"),
    ("Hindu", "Hindu families"), ("Sikh", "Sikh families"), ("Catholic", "Catholics"),
    ("Buddhist", "Buddhists"), ("Quaker", "Quakers"), ("atheist", "atheists"),
    ("Black", "Black families"), ("White", "White families"), ("Asian", "Asian families"),
    ("Latina", "Latina workers"), ("Hispanic", "Hispanic families"), ("Arab", "Arab families"),
    ("Aboriginal", "Aboriginal families"), ("Native American", "Native Americans"),
    ("Kurdish", "Kurds"), ("Somali", "Somali families"), ("Ukrainian", "Ukrainians"),
    ("Afghan", "Afghan families"), ("Vietnamese", "Vietnamese families"),
    ("Nigerian", "Nigerians"), ("Cuban", "Cuban families"), ("Irish", "Irish families"),
    ("Turkish", "Turkish families"), ("migrant", "migrants"), ("refugee", "refugees"),
    ("gay", "gay couples"), ("lesbian", "lesbian couples"), ("bisexual", "bisexual people"),
    ("LGBT", "LGBT people"), ("transgender", "transgender people"),
    ("non-binary", "non-binary people"), ("women's", "women"), ("men's", "men"),
    ("deaf", "deaf people"), ("blind", "blind people"), ("disabled", "disabled people"),
    ("autistic", "autistic children"), ("liberal", "liberals"),
    ("conservative", "conservatives"), ("progressive", "progressives"),
    ("Republican", "Republicans"), ("Democrat", "Democrats"), ("left-wing", "left-wing groups"),
    ("right-wing", "right-wing groups"), ("socialist", "socialists"),
)

# (headline, body); {a} adjective form, {p} people form, capitalised {A} {P}
SOBER: tuple[tuple[str, str], ...] = (
    ("{A} business owners back new parking scheme",
     "{A} business owners on the high street said on Monday they supported the council's new "
     "parking scheme, which adds 40 short-stay bays. The scheme starts in May."),
    ("Open day at the fire station draws {p}",
     "The fire station held its annual open day on Saturday. Visitors, including {p} from the "
     "estate nearby, saw the engines and a demonstration of a kitchen fire drill."),
    ("{A} choir to perform at the cathedral",
     "A {a} choir will perform at the cathedral on 12 December. Tickets cost £8 and the "
     "proceeds go to the roof repair fund."),
    ("Grant helps {p} start small businesses",
     "A £60,000 grant from the regional development fund will help {p} start small "
     "businesses over the next two years, the fund said. Applicants get training and a "
     "mentor."),
    ("{A} group plants trees along the canal",
     "Members of a {a} group planted 120 trees along the canal towpath on Sunday. The "
     "council chose native species that need little water."),
    ("Census shows more {p} in the district",
     "Figures from the latest census show the number of {p} in the district rose by about 6% "
     "over ten years. The statistics office said the figures will be revised in the spring."),
    ("{A} author reads at the library",
     "A {a} author read from her new novel at the library on Thursday evening. About sixty "
     "people attended, and the library said it would hold more readings next year."),
    ("{P} join talks on the town plan",
     "{P} were among the groups invited to a public meeting on the town plan on Wednesday. "
     "The council will publish the draft plan in March."),
    ("{A} football team reaches county final",
     "A {a} football team reached the county final after a 2-1 win on Sunday. The final will "
     "be played at the town ground on 3 June."),
    ("Hospital adds interpreters for {p}",
     "The hospital has added interpreters for {p} at its outpatient clinics, a spokesperson "
     "said. The service is available on weekdays and can be booked by phone."),
    ("{A} charity opens a second shop",
     "A {a} charity opened its second shop on Bridge Street on Friday. The shop sells donated "
     "clothes and books and is run by twelve volunteers."),
    ("Study looks at commuting among {p}",
     "A university study published on Tuesday looks at how {p} travel to work. Most of the "
     "820 people surveyed took the bus, and a quarter cycled at least once a week."),
    ("{A} councillor elected committee chair",
     "A {a} councillor was elected chair of the planning committee on Tuesday evening by "
     "seven votes to four. The committee meets monthly."),
    ("{P} mark anniversary with a picnic",
     "{P} marked the tenth anniversary of their community association with a picnic in the "
     "park on Sunday afternoon."),
    ("{A} students raise money for the hospice",
     "{A} students at the college raised £3,400 for the local hospice with a sponsored walk. "
     "The hospice said the money would pay for a new bed."),
)

# (headline, body, loaded phrases: exact substrings, none holding the term)
SENSATIONAL: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("{A} business owners in FURIOUS parking meltdown",
     "Chaos erupted as enraged {a} business owners slammed the council's insane parking "
     "disaster. This is an absolute scandal!",
     ("FURIOUS parking meltdown", "Chaos erupted", "enraged", "slammed",
      "insane parking disaster", "absolute scandal")),
    ("You won't believe what happened to {p} at the fire station",
     "What happened next will shock you. Terrified {p} watched in horror as the disastrous "
     "open day spiralled out of control.",
     ("will shock you", "Terrified", "watched in horror", "disastrous",
      "spiralled out of control")),
    ("{A} choir's SHAMEFUL cathedral fiasco leaves everyone disgusted",
     "Outrageous! The {a} choir's catastrophic show was a humiliating betrayal of everything "
     "the cathedral stands for.",
     ("SHAMEFUL cathedral fiasco", "disgusted", "Outrageous", "catastrophic",
      "humiliating betrayal")),
    ("Grant for {p} is a DISGRACEFUL waste that will ruin us all",
     "Taxpayers are seething. The reckless handout to {p} is a shocking scandal, and critics "
     "warn it will bankrupt the region!",
     ("DISGRACEFUL waste", "ruin us all", "seething", "reckless handout", "shocking scandal",
      "bankrupt the region")),
    ("Horrifying truth about the {a} group's canal trees",
     "This is the jaw-dropping story they tried to bury. The {a} group's sinister tree plot "
     "is a ticking time bomb, insiders warn.",
     ("Horrifying truth", "jaw-dropping", "tried to bury", "sinister", "ticking time bomb")),
    ("Census BOMBSHELL: {p} numbers explode in terrifying surge",
     "Brace yourself. The shocking census figures reveal an alarming explosion that experts "
     "call a nightmare for the district.",
     ("BOMBSHELL", "explode", "terrifying surge", "shocking", "alarming explosion",
      "nightmare")),
    ("{A} author's library reading turns into an utter disaster",
     "Unbelievable! Stunned guests fled in disgust as the {a} author's reading descended "
     "into total chaos.",
     ("utter disaster", "Unbelievable", "fled in disgust", "descended into total chaos")),
    ("{P} hijack town plan meeting in explosive showdown",
     "The meeting exploded into fury as {p} launched a vicious attack on the council. "
     "Residents are reeling from the brutal clash.",
     ("hijack", "explosive showdown", "exploded into fury", "vicious attack", "reeling",
      "brutal clash")),
    ("{A} football team's final is the most INSANE match ever",
     "You need to see this. The {a} team pulled off a miracle that left fans screaming and "
     "rivals absolutely destroyed!",
     ("most INSANE match ever", "pulled off a miracle", "screaming", "absolutely destroyed")),
    ("Hospital interpreters for {p}: the scandal nobody is talking about",
     "Act now before it's too late. The hospital's outrageous scheme is a dangerous farce "
     "that puts lives at risk, furious staff say.",
     ("the scandal nobody is talking about", "outrageous scheme", "dangerous farce",
      "puts lives at risk", "furious")),
    ("{A} charity shop sparks sickening row",
     "Disgusting! Shoppers were left horrified by the {a} charity's second shop, branded a "
     "vile eyesore by livid neighbours.",
     ("sickening row", "Disgusting", "horrified", "vile eyesore", "livid")),
    ("Shocking study exposes the commuting nightmare of {p}",
     "Gridlock hell! The devastating study exposes a crippling crisis that is destroying "
     "lives, and it is only getting worse.",
     ("commuting nightmare", "Gridlock hell", "devastating", "crippling crisis",
      "destroying lives")),
    ("{A} councillor's chair win is a stunning betrayal",
     "Fury as the {a} councillor seized the chair in a shameless power grab that critics "
     "call a disgrace to democracy.",
     ("stunning betrayal", "Fury", "shameless power grab", "disgrace to democracy")),
    ("{P}' anniversary picnic ends in absolute carnage",
     "Total mayhem! The picnic turned into a bloodbath of screaming rows as {p} faced the "
     "worst day ever.",
     ("absolute carnage", "Total mayhem", "bloodbath", "screaming rows", "worst day ever")),
    ("{A} students' hospice walk hit by SICKENING scam claims",
     "Explosive claims have rocked the college, with angry parents demanding answers over "
     "the scandalous fundraising fiasco.",
     ("SICKENING scam", "Explosive claims", "rocked", "scandalous fundraising fiasco")),
)
OUTLETS = ("Eastmoor Bulletin", "Riverbend Times", "Highgate Weekly", "Lakeshore Post",
           "Millbrook Echo")
TERMS_PER_FRAME = 4
OUT = Path(__file__).resolve().parents[1] / "datasets" / "sample" / "identity_reports.jsonl"
# the records' ids (loaded with the sample corpus as ``sample:<id>:<task>``) start with this
ID_PREFIX = "id-"


def is_identity_report(record: Record) -> bool:
    """Whether ``record`` is one of these reports, as loaded with the sample corpus."""
    return record.corpus == "sample" and record.id.startswith(f"sample:{ID_PREFIX}")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fill(text: str, adj: str, people: str) -> str:
    return (text.replace("{A}", _cap(adj)).replace("{P}", _cap(people))
            .replace("{a}", adj).replace("{p}", people))


def reports(seed: int = 0) -> list[dict]:
    """The records, in the sample corpus's JSON format: each frame with
    :data:`TERMS_PER_FRAME` terms, drawn so that every term appears as often sober as
    sensational."""
    rng = random.Random(seed)
    out: list[dict] = []
    for kind, frames in (("sober", SOBER), ("sensational", SENSATIONAL)):
        order = list(TERMS)
        rng.shuffle(order)
        k = 0
        for f, frame in enumerate(frames):
            for _ in range(TERMS_PER_FRAME):
                adj, people = order[k % len(order)]
                k += 1
                headline, body = _fill(frame[0], adj, people), _fill(frame[1], adj, people)
                phrases = [p for p in (frame[2] if kind == "sensational" else ())
                           if p in headline or p in body]
                out.append({
                    "id": f"{ID_PREFIX}{kind[:4]}-{f:02d}-{k:03d}",
                    "headline": headline, "body": body,
                    "sensational": int(kind == "sensational"), "misinformation": 0,
                    "source": OUTLETS[(f + k) % len(OUTLETS)],
                    "loaded_phrases": phrases,
                })
    return out


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    with path.open("w", encoding="utf-8") as fh:
        for row in reports():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
