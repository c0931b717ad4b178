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

from bot.mentoring.matching.fit import Profiles, Side, Tiers, bits_of, pair_jitter, skill_bits
from bot.mentoring.matching.people import History, MatchingRules, Person

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
    recent: dict[str, tuple[str, ...]]  # whom each person met within the cooldown
    rng: random.Random
    require_shared_skill: bool

    @classmethod
    def build(
        cls,
        people: Sequence[Person],
        *,
        rules: MatchingRules,
        avoid: Iterable[tuple[str, str]],
        history: History,
        seed: int,
        require_shared_skill: bool,
    ) -> Round:
        skills = skill_bits(people)
        pairs: dict[str, set[str]] = {}
        for a, b in avoid:
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
        # Tuples rather than sets: tens of thousands of small sets would only keep the
        # cyclic garbage collector busy (a tuple of strings is never tracked by it).
        recent: dict[str, tuple[str, ...]] = {}
        for round_ in history[len(history) - rules.cooldown_rounds :] if rules.cooldown_rounds > 0 else ():
            for group in round_:
                members = tuple(group)
                if len(members) == 2:  # most groups: spelt out for speed
                    a, b = members
                    if a != b:
                        recent[a] = recent.get(a, ()) + (b,)
                        recent[b] = recent.get(b, ()) + (a,)
                    continue
                for a in members:
                    recent[a] = recent.get(a, ()) + tuple(b for b in members if b != a)
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


FRESH = 1 << 14  # in a score: the pair did not meet within the cooldown
POINTS = FRESH - 1  # in a score: the fit points (FULL_FIT < 2**14)
PRIORITY = FRESH << 1  # in a rank key only: the partner was left out last round


def points_of(score: int) -> int:
    return score & POINTS


def is_fresh(score: int) -> bool:
    return bool(score & FRESH)


@dataclass
class Candidates:
    """The candidate graph as rows of partner indices, each with the pair's score (fit points | FRESH).

    In a mentoring round a row is a mentor's (the solver's rows are mentors' capacity
    slots); among peers, a member's.
    """

    partners: list[list[int]]
    scores: list[list[int]]

    @property
    def edges(self) -> int:
        return sum(len(p) for p in self.partners)

    def score(self, row: int, partner: int) -> int:
        return self.scores[row][self.partners[row].index(partner)]


def mentoring_candidates(mentors: Side, mentees: Side, rnd: Round) -> Candidates:
    """Each mentee picks mentors, then each mentor mentees; the union, as the mentors' rows."""
    rules = rnd.rules
    budget = rules.scan_budget or MENTORING_SCAN
    fallbacks = 0 if rnd.require_shared_skill else rules.fallbacks
    learn_count = [m.bit_count() for m in mentees.learn]
    table = rnd.skill_table(max(learn_count, default=0))
    # Skill points are the share of the mentee's goals the mentor teaches, whoever picks.
    pick_mentors = _Ranker(rnd, mentors, mentors.teach, table)
    pick_mentees = _Ranker(rnd, mentees, mentees.learn, table, partner_counts=learn_count)
    teachers = PartnerIndex(mentors.teach, mentors.profile, rnd.profiles, mentors.rank)
    learners = PartnerIndex(mentees.learn, mentees.profile, rnd.profiles, mentees.rank)
    if fallbacks:  # then people left out last round are worth pairing with anyone: look at some
        first_teachers = PartnerIndex(mentors.teach, mentors.profile, rnd.profiles, mentors.rank, only=mentors.priority)
        first_learners = PartnerIndex(mentees.learn, mentees.profile, rnd.profiles, mentees.rank, only=mentees.priority)
    out = Candidates([[] for _ in mentors.ids], [[] for _ in mentors.ids])
    for m in range(len(mentees)):
        learn, profile, start = mentees.learn[m], mentees.profile[m], mentees.rank[m]
        pool = teachers.pool(learn, profile, start, budget)
        if fallbacks:
            pool += teachers.fallbacks(profile, start, fallbacks * (1 + 3 * mentees.priority[m]))
            pool += first_teachers.fallbacks(profile, start, fallbacks)
        picked, scores = pick_mentors.best(mentees, m, learn, pool, one_skill=not fallbacks and _one_bit(learn))
        if not picked and (pool or fallbacks):
            everyone = list(range(len(mentors))) if fallbacks else teachers.everyone_sharing(learn)
            picked, scores = pick_mentors.best(mentees, m, learn, everyone)
        for x, score in zip(picked, scores):
            out.partners[x].append(m)
            out.scores[x].append(score)

    for x in range(len(mentors)):
        teach, profile, start = mentors.teach[x], mentors.profile[x], mentors.rank[x]
        pool = learners.pool(teach, profile, start, budget)
        if fallbacks:
            pool += learners.fallbacks(profile, start, fallbacks * (1 + 3 * mentors.priority[x]))
            pool += first_learners.fallbacks(profile, start, fallbacks * mentors.people[x].capacity)
        picked, scores = pick_mentees.best(mentors, x, teach, pool, one_skill=not fallbacks and _one_bit(teach))
        mine = out.partners[x]
        chosen = set(mine)  # by mentees
        for m, score in zip(picked, scores):
            if m not in chosen:
                mine.append(m)
                out.scores[x].append(score)
    return out


def peer_candidates(members: Side, rnd: Round) -> Candidates:
    rules = rnd.rules
    budget = rules.scan_budget or PEER_SCAN
    fallbacks = 0 if rnd.require_shared_skill else rules.fallbacks
    counts = [m.bit_count() for m in members.interest]
    # Skill points are the overlap coefficient: shared interests over the smaller count.
    pick = _Ranker(rnd, members, members.interest, rnd.skill_table(max(counts, default=0)), partner_counts=counts, smaller=True)
    index = PartnerIndex(members.interest, members.profile, rnd.profiles, members.rank)
    out = Candidates([], [])
    for a in range(len(members)):
        mine, profile, start = members.interest[a], members.profile[a], members.rank[a]
        pool = index.pool(mine, profile, start, budget)
        if fallbacks:
            pool += index.fallbacks(profile, start, fallbacks + 1)  # +1: the pool may hold oneself
        partners, scores = pick.best(members, a, mine, pool)
        if not partners and (pool or fallbacks):
            everyone = list(range(len(members))) if fallbacks else index.everyone_sharing(mine)
            partners, scores = pick.best(members, a, mine, everyone)
        out.partners.append(partners)
        out.scores.append(scores)
    return out


def _one_bit(mask: int) -> bool:
    return mask & (mask - 1) == 0


class _Ranker:
    """Ranks pools of one side's people (the *partners*) for choosers from either side.

    A chooser ranks partners as the solver will weigh them: partners left out last round
    first, then fresh pairs, then fit points — a *rank key*, PRIORITY | FRESH | points —
    and keeps the best ``rules.candidates``; ties keep the pool's (seeded) order.

    Skill points are ``table[n][k]`` for k shared skills, n being the chooser's count of
    skills (a mentee picking mentors), or with ``partner_counts`` the partner's (a mentor
    picking mentees), or with ``smaller`` too the smaller of the two (peers).
    """

    def __init__(
        self,
        rnd: Round,
        partners: Side,
        masks: list[int],
        table: list[list[int]],
        *,
        partner_counts: list[int] | None = None,
        smaller: bool = False,
    ) -> None:
        self.rnd = rnd
        self.partners = partners
        self.masks = masks
        self.table = table
        self.counts = partner_counts
        self.smaller = smaller
        self.index = {pid: i for i, pid in enumerate(partners.ids)}
        self.hours = rnd.profiles.points()
        self.team_points = team_points = rnd.rules.cross_team_weight * 100
        # What a partner adds to any rank key: PRIORITY, FRESH (taken off again for a pair
        # that met) and, for a chooser in a team, the cross-team points when the partner
        # has a team (taken off again when it is the chooser's).
        self.base = [(PRIORITY if p else 0) | FRESH for p in partners.priority]
        self.base_cross = [b + team_points if t >= 0 else b for b, t in zip(self.base, partners.team)]

    def best(
        self, side: Side, i: int, mine: int, pool: list[int], *, one_skill: bool = False
    ) -> tuple[list[int], list[int]]:
        """Person i of ``side`` (skills ``mine``) picking from ``pool``: the best, and their scores.

        ``pool`` may hold duplicates unless ``one_skill`` says that it cannot: everyone in
        it shares the chooser's only skill.
        """
        rnd, index, pid = self.rnd, self.index, side.ids[i]
        if not one_skill:
            pool = list(dict.fromkeys(pool))
        own, avoided = index.get(pid), rnd.avoid.get(pid)
        if own is not None or avoided:
            excluded = {index[o] for o in avoided if o in index} if avoided else set()
            if own is not None:
                excluded.add(own)  # nobody is their own partner
            pool = [x for x in pool if x not in excluded]
        met_ids = rnd.recent.get(pid)
        met = {index[o] for o in met_ids if o in index} if met_ids else _NOBODY
        team = side.team[i]
        base, cross = (self.base_cross, self.team_points) if team >= 0 else (self.base, 0)
        hours, n = self.hours[side.profile[i]], mine.bit_count()
        masks, profile, team_of = self.masks, self.partners.profile, self.partners.team
        if self.counts is None:
            skill = self.table[n]
            keys = [
                base[x] + skill[(masks[x] & mine).bit_count()] + hours[profile[x]]
                - (cross if team_of[x] == team else 0) - (FRESH if x in met else 0)
                for x in pool
            ]
        else:
            table, counts = self.table, self.counts
            rows = [table[min(n, c)] for c in range(len(table))] if self.smaller else table
            keys = [
                base[x] + rows[counts[x]][(masks[x] & mine).bit_count()] + hours[profile[x]]
                - (cross if team_of[x] == team else 0) - (FRESH if x in met else 0)
                for x in pool
            ]
        limit = rnd.rules.candidates
        if len(keys) > limit:
            top = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)[:limit]  # stable, also in reverse
            return [pool[k] for k in top], [keys[k] & _SCORE for k in top]
        return pool, [key & _SCORE for key in keys]


_NOBODY: frozenset[int] = frozenset()
_SCORE = FRESH | POINTS


def peer_weigher(members: Side, rnd: Round, tiers: Tiers) -> Callable[[int, int], int | None]:
    """The tiered weight of any two members (None when they may not be paired)."""
    hours = rnd.profiles.points()
    counts = [m.bit_count() for m in members.interest]
    table = rnd.skill_table(max(counts, default=0))
    team_points = rnd.rules.cross_team_weight * 100
    ids, interest, profile, team, priority, rank = (
        members.ids, members.interest, members.profile, members.team, members.priority, members.rank,
    )
    avoid, recent, require = rnd.avoid, rnd.recent, rnd.require_shared_skill

    def weigh(a: int, b: int) -> int | None:
        aid, bid = ids[a], ids[b]
        if a == b or bid in avoid.get(aid, ()):
            return None
        k = (interest[a] & interest[b]).bit_count()
        if k == 0 and require:
            return None
        points = table[min(counts[a], counts[b])][k] + hours[profile[a]][profile[b]]
        ta, tb = team[a], team[b]
        if ta >= 0 and tb >= 0 and ta != tb:
            points += team_points
        return tiers.weight(
            points=points,
            repeat=bid in recent.get(aid, ()),
            priority=priority[a] + priority[b],
            jitter=pair_jitter(rank[a], rank[b]),  # symmetric
        )

    return weigh


class PartnerIndex:
    """The people of one side bucketed by skill and by working-hours profile.

    Scoring every pair is out of reach at 50,000 × 10,000, so each person scores a pool of
    at most ``budget`` partners: everyone sharing a skill when there are few enough, else
    a share per skill (rare skills first, in full), taken from the profiles with the best
    overlap first, each bucket read from a seeded rotating offset so that the same
    popular partners are not everyone's whole pool.

    Only that offset differs between two people with the same skills and working hours,
    so what a pool reads is planned once per (skills, profile) and reused (``_plan``).
    """

    def __init__(
        self, masks: list[int], profiles: list[int], all_profiles: Profiles, rank: list[int], *,
        only: list[int] | None = None,
    ) -> None:
        n_profiles = len(all_profiles.spans)
        self._profiles = all_profiles
        by_skill: dict[int, list[list[int]]] = {}
        by_profile: list[list[int]] = [[] for _ in range(n_profiles)]
        people = range(len(masks)) if only is None else [i for i in range(len(masks)) if only[i]]
        for i in sorted(people, key=lambda i: rank[i]):  # seeded order inside buckets
            p = profiles[i]
            by_profile[p].append(i)
            for bit in bits_of(masks[i]):
                buckets = by_skill.get(bit)
                if buckets is None:
                    buckets = by_skill[bit] = [[] for _ in range(n_profiles)]
                buckets[p].append(i)
        # Frozen as tuples: they never change, and tuples of ints escape the cyclic garbage collector.
        self.by_skill = {bit: tuple(map(tuple, buckets)) for bit, buckets in by_skill.items()}
        self.by_profile = tuple(map(tuple, by_profile))
        self.count = {bit: sum(map(len, buckets)) for bit, buckets in by_skill.items()}
        self._shares: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
        self._plans: dict[tuple[int, int, int], tuple[tuple[int, ...], tuple[int, ...], int]] = {}

    def pool(self, mask: int, profile: int, start: int, budget: int) -> list[int]:
        """People sharing a skill of ``mask`` (duplicates possible), at most about ``budget``."""
        shares = self._shares.get((mask, budget))
        if shares is None:
            shares = self._shares[(mask, budget)] = self._share(mask, budget)
        out: list[int] = []
        for bit, want in shares:
            self._take(bit, profile, start, want, out)
        return out

    def _share(self, mask: int, budget: int) -> tuple[tuple[int, int], ...]:
        """How many to take per skill: all when they fit the budget, else rare skills first, in full."""
        present = sorted((self.count[b], b) for b in bits_of(mask) if b in self.count)
        if sum(c for c, _ in present) <= budget:
            return tuple((bit, count) for count, bit in present)
        shares, left = [], budget
        for k, (count, bit) in enumerate(present):
            want = min(count, max(1, left // (len(present) - k)))
            left -= want
            shares.append((bit, want))
        return tuple(shares)

    def everyone_sharing(self, mask: int) -> list[int]:
        out: list[int] = []
        for bit in bits_of(mask):
            for bucket in self.by_skill.get(bit, ()):
                out.extend(bucket)
        return out

    def fallbacks(self, profile: int, start: int, want: int) -> list[int]:
        """Some people with the best working-hours overlap, whatever their skills."""
        out: list[int] = []
        self._take(_ANY_SKILL, profile, start, want, out)
        return out

    def _take(self, bit: int, profile: int, start: int, want: int, out: list[int]) -> None:
        """Append ``want`` people with skill ``bit``, best working-hours overlap with ``profile`` first."""
        key = (bit, profile, want)
        plan = self._plans.get(key)
        if plan is None:
            buckets = self.by_profile if bit == _ANY_SKILL else self.by_skill[bit]
            plan = self._plans[key] = _plan(buckets, self._profiles.order(profile), want)
        whole, last, short = plan
        out += whole
        if short:
            n = len(last)
            off = start % n
            out += last[off : off + short]
            if off + short > n:
                out += last[: off + short - n]


_ANY_SKILL = -1


def _plan(
    buckets: tuple[tuple[int, ...], ...], order: list[int], want: int
) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """What taking ``want`` people reads: whole buckets in ``order``, then ``short`` people of the
    ``last`` bucket, from an offset that depends on who is taking."""
    whole: list[int] = []
    for p in order:
        bucket = buckets[p]
        if not bucket:
            continue
        if len(bucket) > want:
            return tuple(whole), bucket, want
        whole += bucket
        want -= len(bucket)
        if want <= 0:
            break
    return tuple(whole), (), 0
