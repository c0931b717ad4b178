"""The sparse candidate graph of a round: which pairs get weighed at all, and their fit points.

Part of :mod:`bot.mentoring.matching.match`.  Each person keeps their ``rules.candidates`` best partners
out of a pool of at most ``rules.scan_budget`` sampled ones (see
:class:`PartnerIndex`), plus ``rules.fallbacks`` with the best
working-hours overlap whatever their skills (unless a shared skill is required).  In a
mentoring round both sides pick, so a mentor nobody's list reached still gets mentees
to choose from.  A person with no candidate at all gets one exhaustive scan before being
declared without an eligible partner.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from bot.mentoring.matching.fit import Profiles, Side, Tiers, bits_of, pair_jitter, skill_bits

if TYPE_CHECKING:
    from bot.mentoring.matching.match import MatchingRules, Person

MENTORING_SCAN, PEER_SCAN = 48, 200  # default scan budgets (MatchingRules.scan_budget)


@dataclass
class Round:
    """What every round needs besides its people: rules, who avoids or recently met whom."""

    rules: MatchingRules
    profiles: Profiles
    skills: dict[str, int]
    skill_names: list[str]
    teams: dict[str, int]
    avoid: dict[str, set[str]]
    recent: dict[str, set[str]]
    rng: random.Random
    require_shared_skill: bool

    @classmethod
    def build(
        cls,
        people: Sequence[Person],
        *,
        rules: MatchingRules,
        avoid: Iterable[tuple[str, str]],
        history: Sequence[Iterable[Iterable[str]]],
        seed: int,
        require_shared_skill: bool,
    ) -> Round:
        skills = skill_bits(people)
        pairs: dict[str, set[str]] = {}
        for a, b in avoid:
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
        recent: dict[str, set[str]] = {}
        for round_ in history[len(history) - rules.cooldown_rounds :] if rules.cooldown_rounds > 0 else ():
            for group in round_:
                members = list(group)
                for a in members:
                    for b in members:
                        if a != b:
                            recent.setdefault(a, set()).add(b)
        return cls(
            rules=rules,
            profiles=Profiles(rules),
            skills=skills,
            skill_names=sorted(skills, key=skills.__getitem__),
            teams={},
            avoid=pairs,
            recent=recent,
            rng=random.Random(seed),
            require_shared_skill=require_shared_skill,
        )

    def side(self, people: Sequence[Person]) -> Side:
        ordered = sorted(people, key=lambda p: p.id)
        return Side(ordered, skills=self.skills, teams=self.teams, profiles=self.profiles, rng=self.rng)

    def skill_table(self, largest: int) -> list[list[int]]:
        """``table[n][k]``: skill points for k shared skills out of n."""
        weight = self.rules.skill_weight * 100
        return [[0]] + [[weight * k // n for k in range(n + 1)] for n in range(1, largest + 1)]


@dataclass
class Candidates:
    """Per mentee (or per member): partner indices, fit points, and whether the pair is fresh."""

    partners: list[list[int]]
    points: list[list[int]]
    fresh: list[list[bool]]


def mentoring_candidates(mentors: Side, mentees: Side, rnd: Round) -> Candidates:
    rules = rnd.rules
    hours = rnd.profiles.points()
    learn_count = [m.bit_count() for m in mentees.learn]
    table = rnd.skill_table(max(learn_count, default=0))
    team_points = rules.cross_team_weight * 100
    fallbacks = 0 if rnd.require_shared_skill else rules.fallbacks
    n_profiles = len(rnd.profiles.spans)
    teachers = PartnerIndex(mentors.teach, mentors.profile, n_profiles, mentors.rank)
    learners = PartnerIndex(mentees.learn, mentees.profile, n_profiles, mentees.rank)
    if fallbacks:  # then people left out last round are worth pairing with anyone: look at some
        first_teachers = PartnerIndex(mentors.teach, mentors.profile, n_profiles, mentors.rank, only=mentors.priority)
        first_learners = PartnerIndex(mentees.learn, mentees.profile, n_profiles, mentees.rank, only=mentees.priority)
    out = Candidates([[] for _ in mentees.ids], [[] for _ in mentees.ids], [[] for _ in mentees.ids])

    x_ids, x_teach, x_profile, x_team, x_priority = (
        mentors.ids, mentors.teach, mentors.profile, mentors.team, mentors.priority,
    )
    require = rnd.require_shared_skill

    def score_mentors(m: int, pool: list[int]) -> list[tuple[int, int, int, bool]]:
        mid, learn, team = mentees.ids[m], mentees.learn[m], mentees.team[m]
        skill, row = table[learn_count[m]], hours[mentees.profile[m]]
        avoided, met = rnd.avoid.get(mid), rnd.recent.get(mid)
        entries = []
        for x in dict.fromkeys(pool):
            xid = x_ids[x]
            if xid == mid or (avoided is not None and xid in avoided):
                continue
            k = (x_teach[x] & learn).bit_count()
            if not k and require:
                continue
            points = skill[k] + row[x_profile[x]]
            other = x_team[x]
            if team != other and team >= 0 and other >= 0:
                points += team_points
            fresh = met is None or xid not in met
            # Ranked as the solver weighs it: left out last round, then fresh, then fit.
            entries.append(((x_priority[x] << 15) | (fresh << 14) | points, x, points, fresh))
        return _best(entries, rules.candidates)

    for m in range(len(mentees)):
        bits, profile, start = bits_of(mentees.learn[m]), mentees.profile[m], mentees.rank[m]
        order = rnd.profiles.order(profile)
        pool = teachers.pool(bits, order, start, rules.scan_budget or MENTORING_SCAN)
        if fallbacks:
            pool += teachers.fallbacks(order, start, fallbacks * (1 + 3 * mentees.priority[m]))
            pool += first_teachers.fallbacks(order, start, fallbacks)
        picked = score_mentors(m, pool)
        if not picked and (pool or fallbacks):
            everyone = list(range(len(mentors))) if fallbacks else teachers.everyone_sharing(bits)
            picked = score_mentors(m, everyone)
        for _, x, points, fresh in picked:
            out.partners[m].append(x)
            out.points[m].append(points)
            out.fresh[m].append(fresh)

    m_ids, m_learn, m_profile, m_team, m_priority = (
        mentees.ids, mentees.learn, mentees.profile, mentees.team, mentees.priority,
    )
    for x in range(len(mentors)):
        xid, teach, team = x_ids[x], mentors.teach[x], x_team[x]
        row = hours[x_profile[x]]
        avoided, met = rnd.avoid.get(xid), rnd.recent.get(xid)
        order = rnd.profiles.order(x_profile[x])
        pool = learners.pool(bits_of(teach), order, mentors.rank[x], rules.scan_budget or MENTORING_SCAN)
        if fallbacks:
            pool += learners.fallbacks(order, mentors.rank[x], fallbacks * (1 + 3 * mentors.priority[x]))
            pool += first_learners.fallbacks(order, mentors.rank[x], fallbacks * mentors.people[x].capacity)
        entries = []
        for m in dict.fromkeys(pool):
            mid = m_ids[m]
            if mid == xid or (avoided is not None and mid in avoided):
                continue
            k = (m_learn[m] & teach).bit_count()
            if not k and require:
                continue
            points = table[learn_count[m]][k] + row[m_profile[m]]
            other = m_team[m]
            if team != other and team >= 0 and other >= 0:
                points += team_points
            fresh = met is None or mid not in met
            entries.append(((m_priority[m] << 15) | (fresh << 14) | points, m, points, fresh))
        for _, m, points, fresh in _best(entries, rules.candidates):
            if x not in out.partners[m]:
                out.partners[m].append(x)
                out.points[m].append(points)
                out.fresh[m].append(fresh)
    return out


def peer_candidates(members: Side, rnd: Round) -> Candidates:
    rules = rnd.rules
    hours = rnd.profiles.points()
    counts = [m.bit_count() for m in members.interest]
    table = rnd.skill_table(max(counts, default=0))
    team_points = rules.cross_team_weight * 100
    fallbacks = 0 if rnd.require_shared_skill else rules.fallbacks
    index = PartnerIndex(members.interest, members.profile, len(rnd.profiles.spans), members.rank)
    ids, interest, profile, team_of = members.ids, members.interest, members.profile, members.team
    out = Candidates([[] for _ in ids], [[] for _ in ids], [[] for _ in ids])

    require = rnd.require_shared_skill
    priority = members.priority

    def score(a: int, pool: list[int]) -> list[tuple[int, int, int, bool]]:
        aid, mine, team, n = ids[a], interest[a], team_of[a], counts[a]
        row = hours[profile[a]]
        avoided, met = rnd.avoid.get(aid), rnd.recent.get(aid)
        entries = []
        for b in dict.fromkeys(pool):
            if b == a:
                continue
            bid = ids[b]
            if avoided is not None and bid in avoided:
                continue
            k = (interest[b] & mine).bit_count()
            if not k and require:
                continue
            other_count = counts[b]
            points = table[n if n < other_count else other_count][k] + row[profile[b]]
            other = team_of[b]
            if team != other and team >= 0 and other >= 0:
                points += team_points
            fresh = met is None or bid not in met
            entries.append(((priority[b] << 15) | (fresh << 14) | points, b, points, fresh))
        return _best(entries, rules.candidates)

    for a in range(len(members)):
        bits, start = bits_of(interest[a]), members.rank[a]
        order = rnd.profiles.order(profile[a])
        pool = index.pool(bits, order, start, rules.scan_budget or PEER_SCAN)
        if fallbacks:
            pool += index.fallbacks(order, start, fallbacks + 1)  # +1: the pool may hold oneself
        picked = score(a, pool)
        if not picked and (pool or fallbacks):
            picked = score(a, list(range(len(members))) if fallbacks else index.everyone_sharing(bits))
        for _, b, points, fresh in picked:
            out.partners[a].append(b)
            out.points[a].append(points)
            out.fresh[a].append(fresh)
    return out


def peer_weigher(members: Side, rnd: Round, tiers: Tiers) -> Callable[[int, int], int | None]:
    """The tiered weight of any two members (None when they may not be paired)."""
    rules = rnd.rules
    hours = rnd.profiles.points()
    counts = [m.bit_count() for m in members.interest]
    table = rnd.skill_table(max(counts, default=0))
    team_points = rules.cross_team_weight * 100

    def weigh(a: int, b: int) -> int | None:
        aid, bid = members.ids[a], members.ids[b]
        if a == b or bid in rnd.avoid.get(aid, ()):
            return None
        k = (members.interest[a] & members.interest[b]).bit_count()
        if k == 0 and rnd.require_shared_skill:
            return None
        points = table[min(counts[a], counts[b])][k] + hours[members.profile[a]][members.profile[b]]
        ta, tb = members.team[a], members.team[b]
        if ta >= 0 and tb >= 0 and ta != tb:
            points += team_points
        return tiers.weight(
            points=points,
            repeat=bid in rnd.recent.get(aid, ()),
            priority=members.priority[a] + members.priority[b],
            jitter=pair_jitter(members.rank[a], members.rank[b]),  # symmetric
        )

    return weigh


class PartnerIndex:
    """The people of one side bucketed by skill and by working-hours profile.

    Scoring every pair is out of reach at 50,000 × 10,000, so each person scores a pool of
    at most ``budget`` partners: everyone sharing a skill when there are few enough, else
    a share per skill (rare skills first, in full), taken from the profiles with the best
    overlap first, each bucket read from a seeded rotating offset so that the same
    popular partners are not everyone's whole pool.
    """

    def __init__(
        self, masks: list[int], profiles: list[int], n_profiles: int, rank: list[int], *, only: list[int] | None = None
    ) -> None:
        self.by_skill: dict[int, list[list[int]]] = {}
        self.count: dict[int, int] = {}
        self.by_profile: list[list[int]] = [[] for _ in range(n_profiles)]
        people = range(len(masks)) if only is None else [i for i in range(len(masks)) if only[i]]
        for i in sorted(people, key=lambda i: rank[i]):  # seeded order inside buckets
            p = profiles[i]
            self.by_profile[p].append(i)
            for bit in bits_of(masks[i]):
                buckets = self.by_skill.get(bit)
                if buckets is None:
                    buckets = self.by_skill[bit] = [[] for _ in range(n_profiles)]
                    self.count[bit] = 0
                buckets[p].append(i)
                self.count[bit] += 1

    def pool(self, bits: list[int], order: list[int], start: int, budget: int) -> list[int]:
        """People sharing one of ``bits`` (duplicates possible), at most about ``budget``."""
        present = sorted((self.count[b], b) for b in bits if b in self.count)
        total = sum(c for c, _ in present)
        out: list[int] = []
        if total <= budget:
            for _, bit in present:
                buckets = self.by_skill[bit]
                for p in order:
                    out.extend(buckets[p])
            return out
        left = budget
        for k, (count, bit) in enumerate(present):
            want = min(count, max(1, left // (len(present) - k)))
            left -= want
            _take(self.by_skill[bit], order, start, want, out)
        return out

    def everyone_sharing(self, bits: list[int]) -> list[int]:
        out: list[int] = []
        for bit in bits:
            for bucket in self.by_skill.get(bit, ()):
                out.extend(bucket)
        return out

    def fallbacks(self, order: list[int], start: int, want: int) -> list[int]:
        """Some people with the best working-hours overlap, whatever their skills."""
        out: list[int] = []
        _take(self.by_profile, order, start, want, out)
        return out


def _take(buckets: list[list[int]], order: list[int], start: int, want: int, out: list[int]) -> None:
    for p in order:
        bucket = buckets[p]
        n = len(bucket)
        if not n:
            continue
        if n <= want:
            out.extend(bucket)
            want -= n
        else:
            off = start % n
            out.extend(bucket[off : off + want])
            if off + want > n:
                out.extend(bucket[: off + want - n])
            return
        if want <= 0:
            return


def _best(entries: list[tuple[int, int, int, bool]], limit: int) -> list[tuple[int, int, int, bool]]:
    """The ``limit`` highest-ranked entries; equal ranks keep the (seeded) pool order."""
    if len(entries) <= limit:
        return entries
    entries.sort(key=itemgetter(0), reverse=True)  # stable, also in reverse
    return entries[:limit]
