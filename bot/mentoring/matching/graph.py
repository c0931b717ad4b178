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


FRESH_SHIFT = 14
FRESH = 1 << FRESH_SHIFT  # in a score: the pair did not meet within the cooldown
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
    # Skill points are the share of the mentee's goals that the mentor teaches, whoever picks.
    teachers = _Ranker(rnd, mentors, mentors.teach, table, _CHOOSER)
    learners = _Ranker(rnd, mentees, mentees.learn, table, _PARTNER, counts=learn_count)
    out = Candidates([[] for _ in mentors.ids], [[] for _ in mentors.ids])
    for m in range(len(mentees)):
        # People left out last round are worth pairing with anyone: some of them are looked at.
        wants = (fallbacks * (1 + 3 * mentees.priority[m]), fallbacks)
        picked, scores = teachers.pick(mentees, m, mentees.learn[m], budget, wants)
        for x, score in zip(picked, scores):
            out.partners[x].append(m)
            out.scores[x].append(score)
    for x in range(len(mentors)):
        wants = (fallbacks * (1 + 3 * mentors.priority[x]), fallbacks * mentors.people[x].capacity)
        picked, scores = learners.pick(mentors, x, mentors.teach[x], budget, wants, rescan=False)
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
    # Pools are a large share of a guild, and most share several interests: keys in full.
    pick = _Ranker(
        rnd, members, members.interest, rnd.skill_table(max(counts, default=0)), _SMALLER, counts=counts, tabled=False,
    )
    out = Candidates([], [])
    for a in range(len(members)):
        wants = (fallbacks + 1 if fallbacks else 0, 0)  # +1: the pool may hold oneself
        partners, scores = pick.pick(members, a, members.interest[a], budget, wants)
        out.partners.append(partners)
        out.scores.append(scores)
    return out


_CHOOSER, _PARTNER, _SMALLER = range(3)  # whose count of skills the skill points divide by


class _Ranker:
    """Picks partners from one side (the *partners*) for choosers from either side.

    A chooser weighs a pool of partners (:class:`PartnerIndex`, plus fallbacks) and ranks
    them as the solver will weigh them: partners left out last round first, then fresh
    pairs, then fit points — a *rank key*, PRIORITY | FRESH | points — keeping the best
    ``rules.candidates``; ties keep the pool's (seeded) order.  Skill points for k shared
    skills are ``table[n][k]`` with n the chooser's count of skills (``_CHOOSER``), the
    partner's (``_PARTNER``, from ``counts``) or the smaller of the two (``_SMALLER``).

    ``tabled``, for a large side of which a pool is a small sample: once the chooser's
    working hours are known, most of a rank key depends on the partner alone — PRIORITY,
    FRESH, cross-team and hours points, skill points for one shared skill — so it is
    tabled per working-hours profile (:meth:`_table`) and read for the whole pool at
    once; only the exceptions are corrected one by one: partners sharing two skills or
    more, in the chooser's team, or met recently.  Otherwise each key is computed in full.
    """

    def __init__(
        self, rnd: Round, partners: Side, masks: list[int], table: list[list[int]], mode: int, *,
        counts: list[int] | None = None, tabled: bool = True,
    ) -> None:
        self.rnd = rnd
        self.partners = partners
        self.masks = masks
        self.table = table
        self.mode = mode
        self.counts = [0] * len(masks) if mode == _CHOOSER else counts
        self.tabled = tabled
        self.index = PartnerIndex(masks, partners.profile, rnd.profiles, partners.rank)
        self._first: PartnerIndex | None = None
        self.ids = {pid: i for i, pid in enumerate(partners.ids)}
        self.hours = rnd.profiles.points()
        self.team_points = rnd.rules.cross_team_weight * 100
        self.teams: dict[int, set[int]] = {}
        for i, t in enumerate(partners.team):
            if t >= 0:
                self.teams.setdefault(t, set()).add(i)
        self._statics: dict[tuple[bool, int], list[int]] = {}
        self._tables: dict[tuple[int, bool, int], list[int]] = {}

    def _rows(self, n: int, offset: int) -> list[list[int]]:
        """``rows[c][k]``: skill points, less ``offset``, of k skills shared by a chooser with n and a partner with c."""
        table = self.table
        if self.mode == _CHOOSER:
            return [[points - offset for points in table[n]]]  # every partner's c is 0
        if self.mode == _PARTNER:
            return table
        return [table[min(n, c)] for c in range(len(table))]

    def _static(self, has_team: bool, rows: list[list[int]] | None, n: int) -> list[int]:
        """Per partner, what a chooser with (or without) a team sees whatever the hours: PRIORITY,
        FRESH, cross-team points and, given skill ``rows``, the points of one shared skill (of n)."""
        flavor = (has_team, -1 if rows is None else n if self.mode == _SMALLER else 0)
        static = self._statics.get(flavor)
        if static is None:
            team_points = self.team_points if has_team else 0
            static = self._statics[flavor] = [
                (PRIORITY if priority else 0) + FRESH + (team_points if team >= 0 else 0)
                + (rows[c][1] if rows is not None and len(rows[c]) > 1 else 0)
                for priority, team, c in zip(self.partners.priority, self.partners.team, self.counts)
            ]
        return static

    def _table(self, profile: int, has_team: bool, rows: list[list[int]], n: int) -> list[int]:
        """Per partner, the rank key for one shared skill, before the corrections, for a chooser
        in working-hours ``profile``.  Its values are few, and shared rather than copied."""
        key = (profile, has_team, n if self.mode == _SMALLER else 0)
        out = self._tables.get(key)
        if out is None:
            static, hours, n_profiles = self._static(has_team, rows, n), self.hours[profile], len(self.hours)
            distinct = sorted(set(static))
            values = [value + hours[p] for value in distinct for p in range(n_profiles)]
            at = {value: k * n_profiles for k, value in enumerate(distinct)}
            out = self._tables[key] = [values[at[v] + p] for v, p in zip(static, self.partners.profile)]
        return out

    def pick(
        self, side: Side, i: int, mine: int, budget: int, fallbacks: tuple[int, int], *, rescan: bool = True
    ) -> tuple[list[int], list[int]]:
        """Person i of ``side`` (skills ``mine``) picking partners: the best, and their scores.

        ``fallbacks``: how many people with the best working-hours overlap to add whatever
        their skills, from everyone and from those left out last round.  ``rescan``: if
        nobody in the pool may be picked, weigh everyone who could be.
        """
        profile, start, team, n = side.profile[i], side.rank[i], side.team[i], mine.bit_count()
        # A _CHOOSER's skill points for one shared skill are the same for everyone in the
        # pool: rank keys leave them out, and the scores get them back.
        offset = self.table[n][1] if self.mode == _CHOOSER and n else 0
        rows = self._rows(n, offset)
        found = self.index.pool(mine, profile, start, budget)
        if self.tabled:
            pool = found if len(set(found)) == len(found) else list(dict.fromkeys(found))
            keys = list(map(self._table(profile, team >= 0, rows, n).__getitem__, pool))
            if n >= 2 and pool:
                self._share_more(pool, keys, mine, rows)
        else:
            pool, keys = [], []
            self._add(pool, keys, found, profile, team, mine, rows)
        extra = []
        if fallbacks[0]:
            extra += self.index.fallbacks(profile, start, fallbacks[0])
        if fallbacks[1]:
            if self._first is None:  # those left out last round
                p = self.partners
                self._first = PartnerIndex(self.masks, p.profile, self.rnd.profiles, p.rank, only=p.priority)
            extra += self._first.fallbacks(profile, start, fallbacks[1])
        if extra:
            self._add(pool, keys, extra, profile, team, mine, rows)
        weighed = bool(pool)
        pool, keys = self._exclude(pool, keys, side.ids[i])
        if not pool and rescan and (weighed or fallbacks[0] or fallbacks[1]):
            everyone = range(len(self.partners)) if fallbacks[0] or fallbacks[1] else self.index.everyone_sharing(mine)
            pool, keys = [], []
            self._add(pool, keys, everyone, profile, team, mine, rows)
            pool, keys = self._exclude(pool, keys, side.ids[i])
        if team in self.teams:
            for x in self.teams[team].intersection(pool):
                keys[pool.index(x)] -= self.team_points
        met = self.rnd.recent.get(side.ids[i])
        if met:
            for x in {self.ids[o] for o in met if o in self.ids}.intersection(pool):
                keys[pool.index(x)] -= FRESH
        limit = self.rnd.rules.candidates
        if len(keys) > limit:
            top = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)[:limit]  # stable, also in reverse
            return [pool[k] for k in top], [(keys[k] + offset) & _SCORE for k in top]
        return pool, [(key + offset) & _SCORE for key in keys]

    def _share_more(self, pool: list[int], keys: list[int], mine: int, rows: list[list[int]]) -> None:
        """Correct the keys of partners sharing more than one of the chooser's skills."""
        having = [self.index.members[b].intersection(pool) for b in bits_of(mine) if b in self.index.members]
        more: set[int] = set()
        for a in range(len(having)):
            for b in range(a + 1, len(having)):
                more |= having[a] & having[b]
        for x in more:
            row = rows[self.counts[x]]
            keys[pool.index(x)] += row[sum(x in h for h in having)] - row[1]

    def _add(
        self, pool: list[int], keys: list[int], people: Iterable[int], profile: int, team: int, mine: int,
        rows: list[list[int]],
    ) -> None:
        """Append those of ``people`` not in the pool yet, their rank keys computed in full."""
        present = set(pool)
        new = [x for x in dict.fromkeys(people) if x not in present]
        static = self._static(team >= 0, None, 0)
        hours, profile_of, masks, counts = self.hours[profile], self.partners.profile, self.masks, self.counts
        pool += new
        keys += [static[x] + hours[profile_of[x]] + rows[counts[x]][(masks[x] & mine).bit_count()] for x in new]

    def _exclude(self, pool: list[int], keys: list[int], pid: str) -> tuple[list[int], list[int]]:
        """Without the chooser themselves and whoever they avoid."""
        own, avoided = self.ids.get(pid), self.rnd.avoid.get(pid)
        if own is None and not avoided:
            return pool, keys
        excluded = {self.ids[o] for o in avoided if o in self.ids} if avoided else set()
        if own is not None:
            excluded.add(own)
        keep = [k for k, x in enumerate(pool) if x not in excluded]
        return [pool[k] for k in keep], [keys[k] for k in keep]


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
    so what a pool reads is planned once per (skill, profile, share) and reused.
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
        self.members = {bit: frozenset(i for bucket in buckets for i in bucket) for bit, buckets in by_skill.items()}
        self._shares: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
        self._plans: dict[tuple[int, int, int], tuple[tuple[int, ...], int, int]] = {}

    def pool(self, mask: int, profile: int, start: int, budget: int) -> list[int]:
        """People sharing a skill of ``mask`` (duplicates possible), at most about ``budget``."""
        out: list[int] = []
        for bit, want in self._share(mask, budget):
            self._take(bit, profile, start, want, out)
        return out

    def _share(self, mask: int, budget: int) -> tuple[tuple[int, int], ...]:
        """How many to take per skill: all when they fit the budget, else rare skills first, in full."""
        shares = self._shares.get((mask, budget))
        if shares is None:
            present = sorted((self.count[b], b) for b in bits_of(mask) if b in self.count)
            if sum(c for c, _ in present) <= budget:
                shares = tuple((bit, count) for count, bit in present)
            else:
                taken, left = [], budget
                for k, (count, bit) in enumerate(present):
                    want = min(count, max(1, left // (len(present) - k)))
                    left -= want
                    taken.append((bit, want))
                shares = tuple(taken)
            self._shares[(mask, budget)] = shares
        return shares

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

    def _plan(self, bit: int, profile: int, want: int) -> tuple[tuple[int, ...], int, int]:
        """What taking ``want`` people with skill ``bit`` reads, best working-hours overlap with
        ``profile`` first: the profiles of whole buckets, then that of the ``last`` bucket and
        how many of it (``short``), read from an offset that depends on who is taking."""
        plan = self._plans.get((bit, profile, want))
        if plan is None:
            buckets = self.by_profile if bit == _ANY_SKILL else self.by_skill[bit]
            whole: list[int] = []
            last, short, left = -1, 0, want
            for p in self._profiles.order(profile):
                n = len(buckets[p])
                if not n:
                    continue
                if n > left:
                    last, short = p, left
                    break
                whole.append(p)
                left -= n
                if left <= 0:
                    break
            plan = self._plans[(bit, profile, want)] = (tuple(whole), last, short)
        return plan

    def _take(self, bit: int, profile: int, start: int, want: int, out: list[int]) -> None:
        buckets = self.by_profile if bit == _ANY_SKILL else self.by_skill[bit]
        whole, last, short = self._plan(bit, profile, want)
        for p in whole:
            out += buckets[p]
        if short:
            bucket = buckets[last]
            n = len(bucket)
            off = start % n
            out += bucket[off : off + short]
            if off + short > n:
                out += bucket[: off + short - n]


_ANY_SKILL = -1
