"""Does a reply read like a request for help? (NENA-STA-044.1-2022: social media is not a 911
channel, but people use it; a center must notice and tell them to call or text 911.)

Rules over accent-folded lower-case text, English and Spanish:

* a *plea* ("send an ambulance", "someone is breaking in", "manden una ambulancia",
  "auxilio", "can't breathe") is an emergency on its own;
* a bare call for *help* ("help!", "please help", "ayuda") counts unless the reply is thanks
  for help given ("thank you for helping my mom", "gracias por su ayuda");
* *danger* words ("passed out", "bleeding", "se desmayó", "incendio") with a sign that it is
  happening now or to someone near ("right now", "my son", "there's a", "vengan", "mi hijo"),
  unless the reply is thanks, about the past, or a question about how to act;
* an *address* (content_queue.personal_info) next to an *emergency word* (fire, gun,
  ambulance, incendio, heridos…) counts unless the reply is thanks or about the past.

A miss is worse than a false alarm (the alarm costs the on-duty supervisor a glance), so
rules lean to recall; the thank-you guard keeps the commonest false alarm away. Measured by
``bench/emergency_detector.py`` on ``tests/data/emergency_replies.csv``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from content_queue.personal_info import find_addresses

EMERGENCY = "emergency"

DEFAULT_INSTRUCTIONS = (
    "This account is not monitored 24/7. If this is an emergency, call or text 911 now. "
    "Staff: follow the center's procedure for emergency requests received on social media "
    "(NENA-STA-044.1-2022) — relay it to the on-duty supervisor or a call-taker at once, then "
    "reply to the person: \"We cannot take emergency reports here. Call or text 911.\" / "
    "\"No podemos recibir emergencias por este medio. Llame o envíe un texto al 911.\""
)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


#: Pleas: present-tense requests or descriptions of danger (folded: no accents).
PLEAS = _rx(
    # English
    r"\bsend (?:an? |the |some )?(?:ambulance|medics?|paramedics|help|police|cops?|officers?|"
    r"someone|somebody|fire ?(?:truck|department|dept)?|the fire department|deputies)\b",
    r"\b(?:can|could) (?:you|someone|somebody|anyone) (?:please )?(?:send|call 911|call the police)",
    r"\bcall (?:911|the police) for me\b",
    r"\b(?:please )?call the police\b",
    r"\b(?:is|are) (?:breaking|trying to break) in", r"\bbreaking into (?:my|our|the)\b",
    r"\bbroke into my \w+ and (?:is|are) still\b", r"\bbreak in through\b",
    r"\b(?:i|we) need (?:an? )?(?:ambulance|help|police|medic)", r"\bneed help now\b",
    r"\bhelp me\b", r"\bhelp us\b", r"\bplease,? help\b", r"\bhelp,? please\b",
    r"\bsomeone (?:please )?help\b", r"\bsomebody help\b",
    r"\b(?:can'?t|cannot|isn'?t|not|is not|stopped) breathing\b", r"\bcan'?t breathe\b",
    r"\bwon'?t wake up\b", r"\b(?:is|she'?s|he'?s) unconscious\b", r"\bnot responding\b",
    r"\b(?:is|am|are) having a (?:heart attack|stroke|seizure)\b",
    r"\bhaving a (?:heart attack|stroke|seizure)\b",
    r"\bbleeding (?:a lot|badly|heavily)\b", r"\boverdosed\b", r"\btook too many pills\b",
    r"\bshots fired\b", r"\b(?:a|with a) (?:gun|knife|knives)\b.*\b(?:now|outside|here)\b",
    r"\b(?:is|are) (?:hitting|beating|choking|attacking|threatening)\b",
    r"\b(?:i'?m|i am|we'?re|we are) (?:being followed|trapped|stuck)\b", r"\btrapped in\b",
    r"\b(?:is|house is|building is|car is) on fire\b", r"\bcar on fire\b",
    r"\bsmoke coming (?:out|from)\b", r"\bgas leak\b",
    r"\bhe took my phone\b", r"\bi can'?t (?:call|talk)\b",
    r"\bwe can'?t find (?:him|her|them|my)\b", r"\bwandered off\b",
    r"\bwater is rising\b",
    # Spanish (folded)
    r"\bauxilio\b", r"\bsocorro\b", r"\bayudenme\b", r"\bayudame\b",
    r"\b(?:manden|envien|mande|envie|necesito|necesitamos|llamen) (?:una |a |la |a la )?"
    r"(?:ambulancia|ayuda|policia|alguien|bomberos|paramedicos)",
    r"\bllamen (?:al 911|a la policia)\b", r"\bnecesit\w+ ayuda\b",
    r"\b(?:esta|estan) entrando\b", r"\bquiere meterse\b", r"\bse metio a mi casa\b",
    r"\btodavia esta aqui\b", r"\bme (?:esta|estan) (?:pegando|golpeando|robando|siguiendo)\b",
    r"\bme quiere matar\b", r"\bno respira\b", r"\bno despierta\b", r"\bno responde\b",
    r"\binconsciente\b", r"\b(?:tiene|le dio) un infarto\b", r"\bhay (?:un )?incendio\b",
    r"\bse esta quemando\b", r"\bhay disparos\b", r"\bbalacera\b",
    r"\bhombre armado\b", r"\b(?:esta|estamos|estoy) atrapad[oa]s?\b", r"\bhuele (?:mucho )?a gas\b",
    r"\bno puedo llamar\b", r"\bme quito el telefono\b", r"\bmuchas pastillas\b",
    r"\bsangrando\b", r"\bhay heridos\b", r"\burgente\b",
)

#: A call for help that thanks would explain away.
HELP = _rx(r"^\W*help\b(?! wanted)", r"\bhelp\s*!", r"\bayuda\b", r"\bemergency\s*!")

#: Words that make an address an incident location.
EMERGENCY_WORDS = _rx(
    r"\bfire\b", r"\bsmoke\b", r"\bgun\b", r"\bshots?\b", r"\bambulance\b", r"\bpolice\b",
    r"\bhurt\b", r"\binjured\b", r"\bcollapsed\b", r"\bfell\b", r"\bbleeding\b", r"\bcrash\b",
    r"\baccident\b", r"\bfight\b", r"\bbreak(?:ing)? in\b", r"\bhelp\b", r"\bemergency\b",
    r"\bincendio\b", r"\bhumo\b", r"\bambulancia\b", r"\bpolicia\b", r"\bherid[oa]s?\b",
    r"\baccidente\b", r"\bayuda\b", r"\bse cayo\b", r"\bpelea\b", r"\barmad[oa]\b",
)

#: Danger in the words of someone living it (folded): medical, violence, fire, water, crashes.
DANGER = _rx(
    r"\bpassed out\b", r"\bnot waking up\b", r"\bunresponsive\b", r"\bnot moving\b",
    r"\bslumped\b", r"\bcollapsed\b", r"\bfainted\b", r"\bfell (?:down|off|from)\b",
    r"\bbleeding\b", r"\bblood\b", r"\bhit by a (?:car|truck)\b", r"\brun over\b",
    r"\bcrash(?:ed)?\b", r"\baccident\b", r"\boverdos\w*\b", r"\bseizure\b", r"\bstroke\b",
    r"\bheart attack\b", r"\bchest pains?\b", r"\bchoking\b", r"\bdrowning\b",
    r"\bflooding\b", r"\bsparking\b", r"\bpower lines? (?:down|sparking)\b", r"\bfire\b",
    r"\bsmoke\b", r"\bburning\b", r"\bgun\b", r"\bknife\b", r"\bshot\b", r"\bshooting\b",
    r"\bstabbed\b", r"\bkill (?:me|us|her|him)\b", r"\bhurt (?:me|us|her|him)\b",
    r"\bbeating\b", r"\bhitting\b", r"\bbanging on (?:the|my) door\b", r"\bintruder\b",
    r"\battack(?:ed|ing)\b", r"\bkidnap\w*\b", r"\btrapped\b", r"\bstuck\b",
    r"\btree fell\b", r"\bturning (?:blue|purple)\b",
    r"\bhas a (?:knife|gun|weapon)\b", r"\bdying\b", r"\bholding (?:his|her|my) chest\b",
    r"\balarms? (?:is |are )?going off\b", r"\blocked in\b", r"\bthrowing up blood\b",
    r"\b(?:toddler|child|kid|little boy|little girl) (?:is )?(?:walking|alone|wandering)\b",
    r"\bno se mueve\b", r"\btirad[oa]\b", r"\blastimando\b", r"\bpidiendo auxilio\b",
    r"\bdesmay\w*\b", r"\bno reacciona\b", r"\bno responde\b", r"\bno (?:puede )?respira\w*\b",
    r"\bmorad[oa]\b", r"\bsangr\w*\b", r"\batropell\w*\b", r"\bchoque\b", r"\baccidente\b",
    r"\bherid[oa]s?\b", r"\bse cayo\b", r"\binfarto\b", r"\bconvulsion\w*\b",
    r"\bincendi\w*\b", r"\bfuego\b", r"\bhumo\b", r"\bquema\w*\b", r"\bpistola\b",
    r"\barma(?:do|da)?\b", r"\bcuchillo\b", r"\bdispar\w*\b", r"\bbalazo\w*\b",
    r"\bgolpeando\b", r"\bpegando\b", r"\bmatar\w*\b", r"\bme (?:va|quiere) a? ?matar\b",
    r"\brobando\b", r"\batrapad[oa]s?\b", r"\binund\w*\b", r"\bahog\w*\b",
    r"\bgente adentro\b", r"\bse cayo un arbol\b",
)
#: It is happening now, to someone the writer is with, or the writer asks for someone to come.
NOW_OR_NEAR = _rx(
    r"\bnow\b", r"\bright now\b", r"\bhurry\b", r"\bquick(?:ly)?\b", r"\basap\b",
    r"\b(?:please|someone|somebody) (?:please )?come\b", r"\bcome quick\b",
    r"\bwhat do i do\b", r"!!", r"\b911 (?:line )?(?:is )?(?:busy|not answering)\b",
    r"\bline is busy\b", r"\bjust\b",
    r"\bgoing off\b", r"\bi'?m\b", r"\bi am\b", r"\bi think\b", r"\b(?:he|she) has\b",
    r"\bmy (?:son|daughter|mom|mother|dad|father|wife|husband|grandma|grandmother|grandpa|"
    r"grandfather|baby|kid|child|neighbor|friend|ex|sister|brother|boyfriend|girlfriend)\b",
    r"\bthere'?s a\b", r"\bthere is a\b", r"\bour (?:house|basement|home|building|car)\b",
    r"\b(?:is|are) (?:not )?\w+ing\b", r"\bnext door\b", r"\boutside\b",
    r"\bya\b", r"\brapido\b", r"\bvengan\b", r"\bven\b", r"\bque hago\b",
    r"\bno contesta\b", r"\bahorita\b", r"\bpor favor\b",
    r"\bmi (?:hijo|hija|mama|madre|papa|padre|esposa|esposo|abuela|abuelo|bebe|nino|nina|"
    r"vecino|vecina|amigo|amiga|hermano|hermana|casa)\b", r"\bhay (?:un|una|gente)\b",
    r"\b(?:esta|estan|estoy) \w+ando\b", r"\b(?:esta|estan|estoy) \w+iendo\b",
    r"\bun (?:carro|hombre|nino)\b", r"\bafuera\b", r"\badentro\b",
)

#: Thanks for help already given, or a question about the service, not a plea.
GRATITUDE = _rx(
    r"\bthank(?:s| you)\b", r"\bgrateful\b", r"\bappreciate\b", r"\bgracias\b",
    r"\bagradec\w*\b", r"\bhelped\b", r"\bme ayudaron\b", r"\bnos ayudaron\b",
    r"\bshout ?out\b", r"\bcongrat\w*\b", r"\bfelicidades\b", r"\bkudos\b",
)
PAST = _rx(
    r"\blast (?:year|month|week|spring|summer|fall|winter|night)\b", r"\byears ago\b",
    r"\bin (?:19|20)\d\d\b", r"\bthe night (?:of|when)\b", r"\bwhen (?:my|our|she|he|i|we)\b",
    r"\bel ano pasado\b", r"\bcuando (?:mi|tuve|tuvo|se)\b", r"\bla noche del\b",
)
#: Questions about how 911 works ("when someone is breaking in, do I call 911?"), everyday
#: uses of the words ("help me find the job posting", "stuck in traffic lol").
ABOUT_911 = _rx(r"\bdo you call 911\b", r"\bshould (?:i|we|you) call\b", r"\bschool project\b",
                r"\bwhat to say when\b", r"\basking for\b",
                r"\bhelp me (?:find|with|understand|apply|get|learn|figure|sign)\b",
                r"\bstuck in (?:traffic|line)\b", r"\b(?:lol|lmao|haha)\b",
                r"\b(?:do|make|share) a post\b", r"\bwhat (?:to|should (?:i|we|you)) do (?:if|when)\b",
                r"\bnot an emergency\b", r"\bno es (?:de )?emergencia\b", r"\bque hacer (?:si|cuando)\b",
                r"\b(?:class|classes|course|training|curso|clases)\b",
                r"\bwhen (?:someone|somebody|a person)\b")


@dataclass(frozen=True)
class Detection:
    emergency: bool
    reasons: list[str] = field(default_factory=list)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def detect(text: str) -> Detection:
    """Whether ``text`` reads like a request for help, and why."""
    folded = " ".join(fold(text).replace("’", "'").split())
    thanks = bool(GRATITUDE.search(folded))
    past = bool(PAST.search(folded))
    about = bool(ABOUT_911.search(folded))
    plea = PLEAS.search(folded)
    if plea and not about and not (thanks and past):
        return Detection(True, [f"asks for help: “{plea.group(0).strip()}”"])
    if thanks or past or about:
        return Detection(False)
    cry = HELP.search(folded)
    if cry:
        return Detection(True, [f"asks for help: “{cry.group(0).strip(' !')}”"])
    danger = DANGER.search(folded)
    if danger:
        near = NOW_OR_NEAR.search(folded)
        if near:
            return Detection(True, [f"danger (“{danger.group(0)}”) happening now "
                                    f"(“{near.group(0).strip()}”)"])
    word = EMERGENCY_WORDS.search(folded)
    if word:
        addresses = find_addresses(text)
        if addresses:
            return Detection(True, [f"an address (“{addresses[0].text}”) next to "
                                    f"“{word.group(0)}”"])
    return Detection(False)


def is_emergency(text: str) -> bool:
    return detect(text).emergency
