"""Prompt-injection attack success rate: hostile documents beside the seed articles.

Ingests corpus/ plus tests/data/hostile/docs/ into a temporary store, asks each attack's
question of a backend (default: the local LLM) and prints, per attack, whether its document
was retrieved, whether its instruction reached the model's prompt and whether it succeeded
(a canary in the streamed draft or the checked answer, or an uncited answer where the
document forbade citing). Writes benchmarks/results/injection.json. The attacks are the ones
tests/test_security.py asserts on (tests/data/hostile/attacks.py).

    .venv/bin/python benchmarks/injection.py [--model local|extractive|openai] [--set heldout]

``--set heldout`` runs the second attack set (tests/data/hostile/heldout.py, written after the
filter was frozen) and writes benchmarks/results/injection-heldout.json. Both print the attack
success rate per defence layer. ``--out FILE`` writes the JSON there instead.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import common

from bot.api import Bot
from bot.backends.registry import create_generator
from ingest.pipeline import ingest_corpus
from tests.data.hostile.attacks import (
    ATTACKS,
    DOCS,
    LAYERS,
    Outcome,
    RecordingGenerator,
    attack_success_rate,
    hostile_settings,
    layer_table,
    run_attack,
    temporary_dir,
)
from tests.data.hostile.heldout import HELDOUT, HELDOUT_ATTACKS

SETS = {"original": (ATTACKS, DOCS, "injection.json"),
        "heldout": (HELDOUT_ATTACKS, HELDOUT, "injection-heldout.json")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="local", help="backend to attack (default local)")
    parser.add_argument("--set", default="original", choices=sorted(SETS))
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/"
                        "injection[-heldout].json)")
    args = parser.parse_args()
    attacks, docs, results = SETS[args.set]
    machine = common.machine()
    with temporary_dir() as tmp:
        settings = hostile_settings(Path(tmp), docs, model=args.model)
        _, seconds = common.timed(lambda: ingest_corpus(settings))
        print(f"ingested corpus/ + {docs.relative_to(common.ROOT)}/ in {seconds:.1f} s")
        recorder = RecordingGenerator(create_generator(args.model, settings))
        bot = Bot(settings, generators={args.model: recorder})
        outcomes, times = [], []
        for attack in attacks:
            outcome, took = common.timed(lambda a=attack: run_attack(bot, recorder, a))
            outcomes.append(outcome)
            times.append(took)
            print(outcome.line(), flush=True)
        bot.close()
    print_table(outcomes, times)
    write_results(args.out or common.RESULTS / results, args.model, outcomes, times, machine)


def print_table(outcomes: list[Outcome], seconds: list[float]) -> None:
    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    rows = [(o.attack.name, o.attack.technique, yes(o.retrieved), yes(o.recognised),
             "yes" if o.reached_model else ("no (dropped at load)" if o.attack.dropped_at_load
                                            else "no"),
             "YES" if o.succeeded else "no", f"{s:.1f}")
            for o, s in zip(outcomes, seconds, strict=True)]
    print("\n" + common.markdown_table(("attack", "technique", "retrieved", "filtered",
                                        "reached model", "succeeded", "s"), rows))
    rate = attack_success_rate(outcomes)
    print(f"\nattack success rate: {rate:.2f} ({sum(o.succeeded for o in outcomes)}/"
          f"{len(outcomes)}); retrieved {sum(o.retrieved for o in outcomes)}/{len(outcomes)}; "
          f"reached the model {sum(o.reached_model for o in outcomes)}/{len(outcomes)}; "
          f"answered with the key facts {sum(o.answered for o in outcomes)}/{len(outcomes)}")
    print("\n" + layer_table(outcomes))


def write_results(path: Path, model: str, outcomes: list[Outcome], seconds: list[float],
                  machine: dict[str, Any]) -> None:
    rows = [{"attack": o.attack.name, "technique": o.attack.technique,
             "question": o.attack.question, "doc_id": o.attack.doc_id,
             "retrieved": o.retrieved, "filtered": o.recognised,
             "reached_model": o.reached_model, "layer": o.layer, "answered": o.answered,
             "dropped_at_load": o.attack.dropped_at_load, "succeeded": o.succeeded,
             "leaked": o.leaked, "uncited": o.uncited, "abstained": o.answer.abstained,
             "citations": len(o.answer.citations), "draft": o.draft, "answer": o.answer.text,
             "seconds": round(s, 2)} for o, s in zip(outcomes, seconds, strict=True)]
    layers = {name: sum(o.layer == name for o in outcomes) for name in LAYERS}
    common.write_json(path, {
        "model": model, "attacks": len(rows),
        "attack_success_rate": attack_success_rate(outcomes),
        "retrieved": sum(r["retrieved"] for r in rows),
        "reached_model": sum(r["reached_model"] for r in rows), "layers": layers,
        "answered": sum(r["answered"] for r in rows),
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine, "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
