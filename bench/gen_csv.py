#!/usr/bin/env python3
"""Writes N realistic import lines (email[,55,phone]) to a file.

Usage: gen_csv.py N OUT.csv            two in three rows carry a phone
       gen_csv.py N OUT.csv --phones   every row carries a phone, rows and phones in random order
                                       (as people's files come: no sorted column to help an index)
"""
import random
import sys

FIRST = ["ana", "bruno", "carla", "diego", "elena", "felipe", "gabriela", "hugo", "isabel", "joao",
         "karin", "lucas", "maria", "nuno", "olivia", "pedro"]
LAST = ["silva", "santos", "oliveira", "souza", "lima", "pereira", "costa", "almeida", "smith", "rossi"]
DOMAINS = ["acme.com", "acme.com.br", "acme.de", "contractors.acme.com"]


def email(i: int) -> str:
    return f"{FIRST[i % 16]}.{LAST[(i // 16) % 10]}{i}@{DOMAINS[(i // 7) % 4]}"


def lines_two_in_three(n: int):
    for i in range(n):
        if i % 3 == 0:
            yield f"{email(i)}\r\n"
        else:
            yield f"{email(i)},55,119{(i * 7919) % 100_000_000:08d}\r\n"


def lines_every_phone(n: int):
    # Seeded, so every run measures the same file. Distinct São Paulo mobile numbers
    # (11 9XXXX-XXXX), drawn at random, on rows shuffled.
    rng = random.Random(12)
    phones = rng.sample(range(100_000_000), n)
    order = list(range(n))
    rng.shuffle(order)
    for i, phone in zip(order, phones):
        yield f"{email(i)},55,119{phone:08d}\r\n"


def main() -> None:
    n, out = int(sys.argv[1]), sys.argv[2]
    every_phone = "--phones" in sys.argv[3:]
    lines = lines_every_phone(n) if every_phone else lines_two_in_three(n)
    with open(out, "w", newline="") as f:
        batch = []
        for line in lines:
            batch.append(line)
            if len(batch) == 10_000:
                f.write("".join(batch))
                batch.clear()
        f.write("".join(batch))


if __name__ == "__main__":
    main()
