/**
 * One collection: its documents a page at a time (keyset cursors, the earlier ones kept here so
 * Previous needs no offset), filtered by a JSON filter and sorted by up to three fields; its
 * indexes (added and dropped by owners and admins); add a document; drop the collection.
 */
import { useState } from "hono/jsx/dom";
import { problemOf } from "../../src/client.ts";
import {
  type Collection,
  collections,
  documents,
  indexLabel,
  manages,
  parseObject,
  preview,
} from "../data-api.ts";
import { failed, ok, useLoad } from "../load.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { go, href } from "../router.ts";
import { send, type Session } from "../session.ts";
import { ConfirmName, Heading, PAGE_SIZE, Pager, usePages } from "../ui.tsx";
import { IndexManager } from "./data-indexes.tsx";
import { SortFields, type SortKey, sortParam } from "./data-sort.tsx";

const PAGE_SIZES = [10, PAGE_SIZE.default, 50, PAGE_SIZE.max];

/** Wordings for the list's errors, next to the filter that caused them. */
const LIST_MESSAGES = {
  invalid_cursor: "This page's position is no longer valid. Start again from the first page.",
  validation_failed: "The filter is not valid.",
};

export function Indexes({ indexes }: { indexes: Collection["indexes"] }) {
  // The `_id` index every collection has says nothing.
  const own = indexes.filter((i) => i.name !== "_id_");
  if (own.length === 0) return <span class="muted">No indexes</span>;
  return (
    <ul class="indexes" aria-label="Indexes">
      {own.map((i) => (
        <li key={i.name} class="badge">
          <code>{indexLabel(i)}</code>
          {i.unique ? " unique" : ""}
        </li>
      ))}
    </ul>
  );
}

/** One key of the documents' order: a field path, ascending or descending. */
export function Breadcrumb({ name }: { name?: string }) {
  return (
    <nav aria-label="Breadcrumb" class="breadcrumb">
      <a href={href("data")}>Data</a>
      {name
        ? (
          <>
            <span aria-hidden="true">›</span>
            <a href={href("data", name)}>{name}</a>
          </>
        )
        : null}
    </nav>
  );
}

function AddDocument({ slug, name, onAdded }: { slug: string; name: string; onAdded: () => void }) {
  const action = useAction();
  const [text, setText] = useState("{\n  \n}");
  const [added, setAdded] = useState<string | null>(null);
  return (
    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">Add a document</h2>
      <form
        class="stack"
        onSubmit={(e: Event) => {
          e.preventDefault();
          void action.run(async () => {
            setAdded(null);
            const parsed = parseObject(text);
            if (!parsed.ok) return parsed.problem;
            const res = await send(() =>
              documents.$post({ param: { slug, name }, json: parsed.value })
            );
            if (!res.ok) return await problemOf(res);
            setAdded((await res.json())._id);
            setText("{\n  \n}");
            onAdded();
          });
        }}
      >
        <label>
          New document (JSON)
          <textarea
            name="document"
            class="code"
            rows={6}
            spellcheck={false}
            aria-describedby="add-hint"
            value={text}
            onInput={(e: Event) => setText((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        <p class="muted hint" id="add-hint">
          A JSON object; the server assigns its <code>_id</code>. Keys must not start with{" "}
          <code>$</code> or contain a dot.
        </p>
        <button type="submit" class="primary" disabled={action.busy}>Add document</button>
        <ProblemNote problem={action.problem} />
        {added
          ? (
            <p role="status" class="notice">
              Added <a href={href("data", name, added)}>{added}</a>.
            </p>
          )
          : null}
      </form>
    </section>
  );
}

function DropCollection({ slug, name }: { slug: string; name: string }) {
  const action = useAction();
  const [confirm, setConfirm] = useState("");
  return (
    <section class="card danger-zone" aria-labelledby="drop-title">
      <h2 id="drop-title">Drop this collection</h2>
      <p>Its documents and indexes are removed for good.</p>
      <form
        class="stack"
        onSubmit={(e: Event) => {
          e.preventDefault();
          void action.run(async () => {
            const res = await send(() => collections[":name"].$delete({ param: { slug, name } }));
            if (!res.ok) return await problemOf(res);
            go("data");
          });
        }}
      >
        <ConfirmName expected={name} value={confirm} onInput={setConfirm} />
        <button type="submit" class="danger" disabled={action.busy || confirm !== name}>
          Drop collection
        </button>
        <ProblemNote problem={action.problem} />
      </form>
    </section>
  );
}

export function CollectionPage({ session, name }: { session: Session; name: string }) {
  const slug = session.org.slug;
  const [draft, setDraft] = useState("");
  const [filter, setFilter] = useState("");
  const [limit, setLimit] = useState<number>(PAGE_SIZE.default);
  const [sortDraft, setSortDraft] = useState<SortKey[]>([]);
  const [sort, setSort] = useState("");
  const pages = usePages();
  const cursor = pages.cursor;
  // Applying a filter (even the same one) reads the documents and the count again.
  const [generation, setGeneration] = useState(0);
  const first = () => {
    pages.first();
    setGeneration((g) => g + 1);
  };

  const info = useLoad(async () => {
    const res = await send(() => collections.$get({ param: { slug } }));
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug, name, generation]);
  const collection = info.data?.items.find((c) => c.name === name);

  const page = useLoad(async () => {
    const res = await send(() =>
      documents.$get({
        param: { slug, name },
        query: {
          limit: String(limit),
          cursor,
          ...(filter ? { filter } : {}),
          ...(sort ? { sort } : {}),
        },
      })
    );
    return res.ok ? ok(await res.json()) : failed(await problemOf(res));
  }, [slug, name, filter, sort, limit, cursor, generation]);
  const docs = page.data?.items ?? [];
  const reload = () => {
    info.reload();
    page.reload();
  };
  // The sort is applied as it changes: its cursor pages start again from the first.
  const applySort = (keys: SortKey[]) => {
    setSortDraft(keys);
    const next = sortParam(keys);
    if (next !== sort) {
      setSort(next);
      pages.first();
    }
  };
  const known = [
    ...new Set([
      ...docs.flatMap((d) => Object.keys(d)),
      ...(collection?.indexes ?? []).flatMap((i) => Object.keys(i.fields)),
    ]),
  ].sort();

  return (
    <>
      <Breadcrumb />
      <Heading>{name}</Heading>
      {collection
        ? (
          <section class="card" aria-labelledby="about-title">
            <h2 id="about-title" class="visually-hidden">About this collection</h2>
            <dl class="facts">
              <dt>Documents</dt>
              <dd data-field="count">{collection.count.toLocaleString()}</dd>
            </dl>
          </section>
        )
        : <ProblemNote problem={info.problem} />}
      <section class="card" aria-labelledby="documents-title">
        <h2 id="documents-title">Documents</h2>
        <form
          class="stack"
          role="search"
          aria-label="Filter documents"
          onSubmit={(e: Event) => {
            e.preventDefault();
            setFilter(draft.trim());
            setSort(sortParam(sortDraft));
            first();
          }}
        >
          <div class="row wrap">
            <label class="grow">
              Filter (JSON)
              <input
                name="filter"
                class="code"
                autocomplete="off"
                spellcheck={false}
                placeholder='{"status": "active"}'
                aria-describedby="filter-hint"
                aria-invalid={page.problem ? "true" : undefined}
                value={draft}
                onInput={(e: Event) => setDraft((e.target as HTMLInputElement).value)}
              />
            </label>
            <div class="field">
              <label for="page-size">Per page</label>
              <select
                id="page-size"
                name="limit"
                onChange={(e: Event) => {
                  setLimit(Number((e.target as HTMLSelectElement).value));
                  first();
                }}
              >
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={String(n)} selected={n === limit}>
                    {n}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <SortFields keys={sortDraft} known={known} onEdit={setSortDraft} onChange={applySort} />
          <p class="muted hint" id="filter-hint">
            Field paths and the operators{" "}
            <code>
              $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or
            </code>, for example <code>{'{"age": {"$gte": 18}}'}</code>. Empty shows every document.
          </p>
          <div class="row">
            <button type="submit" class="primary">Apply filter</button>
            <button
              type="button"
              disabled={!draft && !filter}
              onClick={() => {
                setDraft("");
                setFilter("");
                first();
              }}
            >
              Clear
            </button>
          </div>
          <ProblemNote problem={page.problem} messages={LIST_MESSAGES} />
        </form>
        <ul class="list documents" aria-busy={page.loading} aria-label="Documents">
          {docs.map((d) => (
            <li key={d._id} class="item" data-id={d._id}>
              <a href={href("data", name, d._id)} class="doc-id">
                <code>{d._id}</code>
              </a>
              <code class="preview grow">{preview(d)}</code>
            </li>
          ))}
        </ul>
        {!page.loading && !page.problem && docs.length === 0
          ? <p class="muted">{filter ? "No document matches this filter." : "No documents yet."}</p>
          : null}
        <Pager pages={pages} page={page} label="Document pages" labels={["Previous", "Next"]} />
      </section>
      {collection
        ? (
          <IndexManager
            slug={slug}
            name={name}
            indexes={collection.indexes}
            manages={manages(session.role)}
            known={known}
            onChanged={info.reload}
          />
        )
        : null}
      <AddDocument slug={slug} name={name} onAdded={reload} />
      {manages(session.role) && collection ? <DropCollection slug={slug} name={name} /> : null}
    </>
  );
}
