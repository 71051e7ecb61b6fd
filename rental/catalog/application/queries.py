"""Catalog queries: the read service CatalogQueries and every DTO the catalog returns (frozen
dataclasses; never entities, never writes)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, literal, select, true
from sqlalchemy.orm import Session, aliased

from rental.catalog.domain.kits import (
    OWN_RATES,
    SUM_LESS_DISCOUNT,
    KitComponent,
    KitRates,
    kit_price,
    kits_free,
)
from rental.catalog.domain.models import (
    SpecKind,
    SpecValue,
    descendants,
    format_spec_value,
    rank_similar,
    spec_label,
)
from rental.catalog.infrastructure.entities import (
    CategoryEntity,
    EquipmentTypeEntity,
    KitComponentEntity,
    KitEntity,
    SpecValueEntity,
)
from rental.catalog.infrastructure.kits import kit_rates
from rental.catalog.infrastructure.repositories import stored_image
from rental.shared.errors import NotFoundError
from rental.shared.images import StoredImage
from rental.shared.money import Money

# The type page and the booking pages run these statements on every request. Building a
# Select with a recursive CTE and aliases costs more than running it (~4 ms against ~0.4 ms
# on SQLite), so each is built once per process with bind parameters and reused (statements
# are immutable; SQLAlchemy caches their compiled form).


@cache
def _details_statement(by: str) -> Select[Any]:
    """A type (by "id" or "slug", the `value` parameter) with its category path: a recursive
    query climbs from the type's category to the root (a row per ancestor; none when it has
    no category), deepest last."""
    t, c = EquipmentTypeEntity, CategoryEntity
    condition = getattr(t, by) == bindparam("value")
    start = select(t.category_id).where(condition).scalar_subquery()
    path = (
        select(c.id, c.parent_id, c.slug, c.name, literal(0).label("depth"))
        .where(c.id == start)
        .cte("category_path", recursive=True)
    )
    parent = aliased(c)
    path = path.union_all(
        select(parent.id, parent.parent_id, parent.slug, parent.name, path.c.depth + 1).where(
            parent.id == path.c.parent_id, path.c.depth < MAX_CATEGORY_DEPTH
        )
    )
    return (
        select(t, path.c.slug, path.c.name, path.c.depth)
        .outerjoin(path, true())
        .where(condition)
        .order_by(path.c.depth.desc())
    )


@cache
def _similar_statement() -> Select[Any]:
    """The other active types of the category of the type `type_id`, with that type's specs
    and the category's name."""
    t, base = EquipmentTypeEntity, aliased(EquipmentTypeEntity)
    type_id = bindparam("type_id")
    return (
        select(t, base.specs, CategoryEntity.name)
        .join(base, and_(base.id == type_id, base.category_id == t.category_id))
        .join(CategoryEntity, CategoryEntity.id == t.category_id, isouter=True)
        .where(t.active.is_(True), t.id != type_id)
    )


# The orders a search can be sorted in, with their labels; anything else sorts by name.
MAX_CATEGORY_DEPTH = 50  # far deeper than any shop needs; stops a runaway climb
SORTS = {"name": "Name A\u2013Z", "name_desc": "Name Z\u2013A", "newest": "Newest first"}


@dataclass(frozen=True, slots=True)
class SpecFilter:
    """Equality for text and yes/no specs (`equals`), a range for numbers (`minimum`/`maximum`)."""

    key: str
    equals: str | None = None
    minimum: float | None = None
    maximum: float | None = None


# The caller's own narrowing of a search: given the matching ids, the ones to keep.
Keep = Callable[[list[str]], Collection[str]]
KEEP_LIMIT = 500  # matches a `keep` rule looks at, at most (in the page's order)


@dataclass(frozen=True, slots=True)
class SearchEquipmentTypes:
    text: str = ""
    category_id: str | None = None
    spec_filters: tuple[SpecFilter, ...] = ()
    sort: str = "name"
    page: int = 1
    page_size: int = 12
    include_inactive: bool = False


@dataclass(frozen=True, slots=True)
class BrowseCatalog:
    """The public catalog page: a search within the category with this web address (if any)."""

    text: str = ""
    category_slug: str = ""
    spec_filters: tuple[SpecFilter, ...] = ()
    sort: str = "name"
    page: int = 1
    page_size: int = 12


@dataclass(frozen=True, slots=True)
class SpecEntry:
    key: str
    label: str
    value: SpecValue
    display: str
    kind: str


@dataclass(frozen=True, slots=True)
class EquipmentTypeSummary:
    id: str
    slug: str
    name: str
    short_description: str
    category_id: str
    active: bool
    image: StoredImage | None = None
    image_alt: str = ""  # as staff typed it; `alt_text` is what pages show
    category_name: str = ""
    key_specs: tuple[SpecEntry, ...] = ()

    @property
    def alt_text(self) -> str:
        return self.image_alt or self.name


@dataclass(frozen=True, slots=True)
class EquipmentTypeDetails:
    id: str
    slug: str
    name: str
    short_description: str
    description: str
    category_id: str
    category_path: list[tuple[str, str]]
    specs: dict[str, SpecValue]
    image: StoredImage | None
    image_alt: str
    active: bool

    @property
    def alt_text(self) -> str:
        """The photo's text alternative: what staff wrote, else the type's name."""
        return self.image_alt or self.name

    @property
    def spec_entries(self) -> list[SpecEntry]:
        return [_entry(k, v) for k, v in self.specs.items()]

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.description.split("\n\n") if p.strip()]


@dataclass(frozen=True, slots=True)
class SearchResult:
    items: list[EquipmentTypeSummary]
    total: int
    page: int
    page_size: int
    # A search narrowed by the caller's `keep` looked only at its first `scanned` matches
    # (in the page's order) and more matched: the rest are not counted or listed.
    scanned: int | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.page_size)


@dataclass(frozen=True, slots=True)
class CategoryNode:
    id: str
    name: str
    slug: str
    parent_id: str | None
    depth: int
    type_count: int  # active types in this category and all below it
    children: list[CategoryNode] = field(default_factory=list)

    def walk(self) -> Iterator[CategoryNode]:
        """This node and every node below it, in display order."""
        yield self
        for child in self.children:
            yield from child.walk()


def without_empty(tree: Iterable[CategoryNode]) -> list[CategoryNode]:
    """The tree as visitors see it: categories with no active equipment (counting those
    below them) left out. Staff pages show every category."""
    return [
        replace(node, children=without_empty(node.children)) for node in tree if node.type_count
    ]


def flatten(tree: Iterable[CategoryNode]) -> list[CategoryNode]:
    """Every node of the tree once, in display order, with its depth (for select boxes)."""
    return [node for root in tree for node in root.walk()]


@dataclass(frozen=True, slots=True)
class SpecFacet:
    key: str
    label: str
    kind: str
    options: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class CatalogPage:
    """What the public catalog page shows, read with the categories loaded once."""

    tree: list[CategoryNode]  # active types counted; empty categories left out
    category: CategoryNode | None  # the one browsed; None for all (or an unknown address)
    result: SearchResult
    facets: list[SpecFacet]


def _summary(r: EquipmentTypeEntity, category_name: str | None) -> EquipmentTypeSummary:
    return EquipmentTypeSummary(
        id=r.id,
        slug=r.slug,
        name=r.name,
        short_description=r.short_description or "",
        category_id=r.category_id,
        active=bool(r.active),
        image=stored_image(r),
        image_alt=r.image_alt or "",
        category_name=category_name or "",
        key_specs=tuple(_entry(k, v) for k, v in list((r.specs or {}).items())[:3]),
    )


def _entry(key: str, value: SpecValue) -> SpecEntry:
    kind = (
        SpecKind.YES_NO
        if isinstance(value, bool)
        else (SpecKind.NUMBER if isinstance(value, int | float) else SpecKind.TEXT)
    )
    return SpecEntry(key, spec_label(key), value, format_spec_value(value), kind.value)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class CatalogQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- categories ---------------------------------------------------------------------------

    def _categories(self) -> list[CategoryEntity]:
        return list(self._session.scalars(select(CategoryEntity).order_by(CategoryEntity.name)))

    def category_tree(self, include_inactive: bool = False) -> list[CategoryNode]:
        return self._tree(self._categories(), include_inactive)

    def _tree(self, categories: list[CategoryEntity], include_inactive: bool) -> list[CategoryNode]:
        counts_query = select(EquipmentTypeEntity.category_id, func.count()).group_by(
            EquipmentTypeEntity.category_id
        )
        if not include_inactive:
            counts_query = counts_query.where(EquipmentTypeEntity.active.is_(True))
        direct = dict(self._session.execute(counts_query).all())
        by_parent: dict[str | None, list[CategoryEntity]] = {}
        for c in categories:
            by_parent.setdefault(c.parent_id, []).append(c)

        def build(parent_id: str | None, depth: int, seen: frozenset[str]) -> list[CategoryNode]:
            nodes = []
            for c in by_parent.get(parent_id, []):
                if c.id in seen:
                    continue
                children = build(c.id, depth + 1, seen | {c.id})
                total = direct.get(c.id, 0) + sum(ch.type_count for ch in children)
                nodes.append(
                    CategoryNode(c.id, c.name, c.slug, c.parent_id, depth, total, children)
                )
            return nodes

        return build(None, 0, frozenset())

    def flat_categories(self) -> list[CategoryNode]:
        """The tree in display order, each node once (for select boxes)."""
        return flatten(self.category_tree(include_inactive=True))

    def category_by_slug(self, slug: str) -> CategoryNode | None:
        return next((c for c in self.flat_categories() if c.slug == slug), None)

    # --- equipment types ----------------------------------------------------------------------

    def details(self, type_id: str) -> EquipmentTypeDetails:
        found = self._details_where("id", type_id)
        if found is None:
            raise NotFoundError("That equipment type does not exist.")
        return found

    def details_by_slug(self, slug: str) -> EquipmentTypeDetails:
        found = self._details_where("slug", slug)
        if found is None:
            raise NotFoundError(f"We have no equipment called '{slug}'.")
        return found

    def _details_where(self, by: str, value: str) -> EquipmentTypeDetails | None:
        """One type with its category path, in one statement (`_details_statement`)."""
        rows = self._session.execute(_details_statement(by), {"value": value}).all()
        if not rows:
            return None
        e = rows[0][0]
        return EquipmentTypeDetails(
            id=e.id,
            slug=e.slug,
            name=e.name,
            short_description=e.short_description or "",
            description=e.description or "",
            category_id=e.category_id,
            category_path=[(r.slug, r.name) for r in rows if r.slug is not None],
            specs=dict(e.specs or {}),
            image=stored_image(e),
            image_alt=e.image_alt or "",
            active=bool(e.active),
        )

    def active_type_slugs(self) -> list[str]:
        """The slug of every active type (each has a public page), in one statement."""
        t = EquipmentTypeEntity
        return list(
            self._session.scalars(select(t.slug).where(t.active.is_(True)).order_by(t.slug))
        )

    def exists(self, type_id: str) -> bool:
        query = select(EquipmentTypeEntity.id).where(EquipmentTypeEntity.id == type_id)
        return self._session.scalar(query) is not None

    def _summaries(self, query: Select[Any]) -> list[EquipmentTypeSummary]:
        """Summaries of the types `query` selects, with their category's name in the same
        statement (a list never costs a second query per type or per page)."""
        t = EquipmentTypeEntity
        rows = self._session.execute(
            query.add_columns(CategoryEntity.name).join(
                CategoryEntity, CategoryEntity.id == t.category_id, isouter=True
            )
        ).all()
        return [_summary(r, category_name) for r, category_name in rows]

    def summaries(self, ids: Iterable[str]) -> dict[str, EquipmentTypeSummary]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        t = EquipmentTypeEntity
        return {s.id: s for s in self._summaries(select(t).where(t.id.in_(ids)))}

    def similar_types(self, type_id: str, limit: int | None = None) -> list[EquipmentTypeSummary]:
        """The catalog's one rule for "similar" (`rank_similar` in the domain): the other
        active types of the same category with comparable specs, closest first. One statement
        (the type itself is joined for its category and specs); an unknown type has none."""
        rows = self._session.execute(_similar_statement(), {"type_id": type_id}).all()
        if not rows:
            return []
        candidates = [(_summary(r, name), r.name, r.specs or {}) for r, _, name in rows]
        ranked = rank_similar(rows[0][1] or {}, candidates)
        return ranked if limit is None else ranked[:limit]

    def _filters(
        self, q: SearchEquipmentTypes, parents: Mapping[str, str | None] | None = None
    ) -> list[Any]:
        """Where-conditions of a search; `parents` (category id -> parent id) when the caller
        already has the categories, so they are not read again."""
        t = EquipmentTypeEntity
        conditions: list[Any] = []
        if not q.include_inactive:
            conditions.append(t.active.is_(True))
        for word in q.text.lower().split()[:8]:
            conditions.append(t.search_text.like(f"%{_escape_like(word)}%", escape="\\"))
        if q.category_id:
            if parents is None:
                rows = self._session.execute(select(CategoryEntity.id, CategoryEntity.parent_id))
                parents = dict(rows.all())
            conditions.append(t.category_id.in_(descendants(parents, q.category_id)))
        s = SpecValueEntity
        for f in q.spec_filters:
            parts = [s.equipment_type_id == t.id, s.key == f.key]
            if f.equals is not None and f.equals != "":
                parts.append(func.lower(s.text_value) == f.equals.strip().lower())
            if f.minimum is not None:
                parts.append(s.number_value >= f.minimum)
            if f.maximum is not None:
                parts.append(s.number_value <= f.maximum)
            if len(parts) > 2:
                conditions.append(exists().where(and_(*parts)))
        return conditions

    def search(self, q: SearchEquipmentTypes) -> SearchResult:
        return self._search(q, self._filters(q))

    @staticmethod
    def _order(sort: str) -> list[Any]:
        t = EquipmentTypeEntity
        order = {
            "name_desc": [t.name.desc()],
            "newest": [t.created_at.desc(), t.name],
        }.get(sort, [t.name])
        return [*order, t.id]

    def _search(self, q: SearchEquipmentTypes, conditions: list[Any]) -> SearchResult:
        t = EquipmentTypeEntity
        page_size = max(1, min(q.page_size, 100))
        total = self._session.scalar(select(func.count()).select_from(t).where(*conditions)) or 0
        pages = max(1, -(-total // page_size))
        page = max(1, min(q.page, pages))
        query = (
            select(t)
            .where(*conditions)
            .order_by(*self._order(q.sort))
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        return SearchResult(self._summaries(query), total, page, page_size)

    def _search_kept(
        self, q: SearchEquipmentTypes, conditions: list[Any], keep: Keep, limit: int
    ) -> SearchResult:
        """A search narrowed by a rule the catalog does not know (the storefront's "available
        for these dates"): the ids of the first `limit` matches in the page's order (one
        statement), `keep(ids)` says which stay, and the pages are cut from those — so the
        count and the pages are honest. The page's summaries are one more statement."""
        t = EquipmentTypeEntity
        page_size = max(1, min(q.page_size, 100))
        order = self._order(q.sort)
        ids = list(
            self._session.scalars(select(t.id).where(*conditions).order_by(*order).limit(limit + 1))
        )
        scanned = limit if len(ids) > limit else None
        ids = ids[:limit]
        kept_ids = set(keep(ids))
        kept = [type_id for type_id in ids if type_id in kept_ids]
        pages = max(1, -(-len(kept) // page_size))
        page = max(1, min(q.page, pages))
        shown = kept[(page - 1) * page_size : page * page_size]
        items = self._summaries(select(t).where(t.id.in_(shown)).order_by(*order)) if shown else []
        return SearchResult(items, len(kept), page, page_size, scanned)

    def spec_facets(
        self, category_id: str | None = None, include_inactive: bool = False
    ) -> list[SpecFacet]:
        """The spec filters worth offering: keys shared by at least two types in scope."""
        scope = SearchEquipmentTypes(category_id=category_id, include_inactive=include_inactive)
        return self._facets(self._filters(scope))

    def _facets(self, conditions: list[Any]) -> list[SpecFacet]:
        t, s = EquipmentTypeEntity, SpecValueEntity
        rows = self._session.execute(
            select(s.key, s.kind, s.text_value, s.number_value)
            .join(t, t.id == s.equipment_type_id)
            .where(*conditions)
        ).all()
        grouped: dict[tuple[str, str], list[Any]] = {}
        for key, kind, text_value, number_value in rows:
            grouped.setdefault((key, kind), []).append(
                number_value if kind == SpecKind.NUMBER.value else text_value
            )
        facets: list[SpecFacet] = []
        for (key, kind), values in sorted(grouped.items()):
            if len(values) < 2:
                continue
            if kind == SpecKind.NUMBER.value:
                nums = [v for v in values if v is not None]
                facets.append(SpecFacet(key, spec_label(key), kind, [], min(nums), max(nums)))
            else:
                options = sorted({str(v) for v in values if v}, key=str.lower)
                if kind == SpecKind.TEXT.value and len(options) < 2:
                    continue
                facets.append(SpecFacet(key, spec_label(key), kind, options))
        return facets

    # --- the public catalog page --------------------------------------------------------------

    def browse(
        self, q: BrowseCatalog, keep: Keep | None = None, keep_limit: int = KEEP_LIMIT
    ) -> CatalogPage:
        """The tree, the category browsed, one page of active types and the spec filters worth
        offering there, reading the categories once. With `keep`: only the matches it keeps
        are counted and paged (among the first `keep_limit` matches, see `_search_kept`)."""
        categories = self._categories()
        tree = self._tree(categories, include_inactive=False)
        category = next((c for c in flatten(tree) if c.slug == q.category_slug), None)
        parents = {c.id: c.parent_id for c in categories}
        search = SearchEquipmentTypes(
            text=q.text,
            category_id=category.id if category else None,
            spec_filters=q.spec_filters,
            sort=q.sort,
            page=q.page,
            page_size=q.page_size,
        )
        scope = SearchEquipmentTypes(category_id=search.category_id)
        conditions = self._filters(search, parents)
        return CatalogPage(
            tree=without_empty(tree),
            category=category,
            result=(
                self._search(search, conditions)
                if keep is None
                else self._search_kept(search, conditions, keep, keep_limit)
            ),
            facets=self._facets(self._filters(scope, parents)),
        )


# --- kits ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KitLine:
    """One component of a kit: the equipment type (name, address, active) and how many."""

    equipment_type_id: str
    name: str
    slug: str
    quantity: int
    active: bool


@dataclass(frozen=True, slots=True)
class KitDetails:
    id: str
    name: str
    slug: str
    description: str
    discount_percent: Decimal
    active: bool
    lines: tuple[KitLine, ...]
    image: StoredImage | None = None
    image_alt: str = ""  # as staff typed it; `alt_text` is what pages show
    rates: KitRates | None = None  # its own rates; None: the components' less the discount

    @property
    def alt_text(self) -> str:
        """The photo's text alternative: what staff wrote, else the kit's name."""
        return self.image_alt or self.name

    @property
    def components(self) -> list[KitComponent]:
        return [KitComponent(line.equipment_type_id, line.quantity) for line in self.lines]

    @property
    def type_ids(self) -> list[str]:
        return [line.equipment_type_id for line in self.lines]

    @property
    def public(self) -> bool:
        """Shown to visitors: the kit is active and so is every type in it."""
        return self.active and bool(self.lines) and all(line.active for line in self.lines)

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.description.split("\n\n") if p.strip()]

    @property
    def pricing(self) -> str:
        """ "rates": priced at its own rates; "discount": its components' less the discount."""
        return OWN_RATES if self.rates else SUM_LESS_DISCOUNT

    @property
    def discount_text(self) -> str:
        """'10', '12.5': the percentage as staff typed it (no trailing zeros, no exponent)."""
        return f"{self.discount_percent.normalize():f}"

    def price(self, unit_prices: Mapping[str, Money]) -> Money | None:
        """The components' prices (per type, for one unit) × quantities, minus the discount;
        None when one of them has no price."""
        return kit_price(self.components, unit_prices, self.discount_percent)

    def free(self, free_units: Mapping[str, int]) -> int:
        """How many whole kits the free units of its types make."""
        return kits_free(self.components, free_units)


def _kits(session: Session, where: Any) -> list[KitDetails]:
    """Kits with their components and the components' types, in one statement."""
    k, c, t = KitEntity, KitComponentEntity, EquipmentTypeEntity
    rows = session.execute(
        select(k.id, k.name, k.slug, k.description, k.discount_percent, k.active)
        .add_columns(t.id, t.name, t.slug, c.quantity, t.active)
        .add_columns(k.image_key, k.image_width, k.image_height, k.image_alt)
        .add_columns(k.pricing, k.hourly_rate, k.daily_rate, k.weekly_rate, k.rate_currency)
        .outerjoin(c, c.kit_id == k.id)
        .outerjoin(t, t.id == c.equipment_type_id)
        .where(where)
        .order_by(k.name, k.id, c.position)
    )
    kits: dict[str, tuple[tuple[Any, ...], list[KitLine]]] = {}
    for row in rows:
        _, lines = kits.setdefault(row[0], (tuple(row[:6]) + tuple(row[11:20]), []))
        if row[6] is not None:
            lines.append(KitLine(row[6], row[7], row[8], row[9], bool(row[10])))
    return [
        KitDetails(
            id=head[0],
            name=head[1],
            slug=head[2],
            description=head[3] or "",
            discount_percent=Decimal(head[4] or 0),
            active=bool(head[5]),
            lines=tuple(lines),
            image=StoredImage(head[6], head[7] or 1, head[8] or 1) if head[6] else None,
            image_alt=head[9] or "",
            rates=kit_rates(*head[10:15]),
        )
        for head, lines in kits.values()
    ]


class KitQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_slug(self, slug: str) -> KitDetails:
        found = _kits(self._session, KitEntity.slug == slug)
        if not found:
            raise NotFoundError("There is no such kit in our catalog.")
        return found[0]

    def by_id(self, kit_id: str) -> KitDetails:
        found = _kits(self._session, KitEntity.id == kit_id)
        if not found:
            raise NotFoundError("That kit does not exist (any more).")
        return found[0]

    def all(self, public_only: bool = False) -> list[KitDetails]:
        """Every kit by name (staff), or only those visitors see (`public_only`)."""
        kits = _kits(self._session, KitEntity.active.is_(True) if public_only else true())
        return [kit for kit in kits if kit.public] if public_only else kits

    def public_slugs(self) -> tuple[list[str], list[str]]:
        """The slugs of the active types and of the public kits (active, every component
        active), each by slug, in one statement (the sitemap)."""
        t, k, c = EquipmentTypeEntity, KitEntity, KitComponentEntity
        inactive_part = (
            select(c.kit_id)
            .join(t, t.id == c.equipment_type_id)
            .where(c.kit_id == k.id, t.active.is_(False))
        )
        has_part = select(c.kit_id).where(c.kit_id == k.id)
        types = select(t.slug.label("slug"), literal("type").label("kind")).where(
            t.active.is_(True)
        )
        kits = select(k.slug.label("slug"), literal("kit").label("kind")).where(
            k.active.is_(True), exists(has_part), ~exists(inactive_part)
        )
        type_slugs: list[str] = []
        kit_slugs: list[str] = []
        for slug, kind in self._session.execute(types.union_all(kits).order_by("slug")):
            (type_slugs if kind == "type" else kit_slugs).append(slug)
        return type_slugs, kit_slugs
