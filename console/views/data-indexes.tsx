/**
 * A collection's indexes on its page: listed for every member; owners and admins add one
 * (fields with a direction, unique or not, an optional name; built before the answer) and drop
 * one after typing its name.
 */
import { useState } from "hono/jsx/dom";
import { problemOf } from "../../src/client.ts";
import { collections, type Index, indexLabel } from "../data-api.ts";
import { ProblemNote, useAction } from "../problems.tsx";
import { send } from "../session.ts";
import { ConfirmName } from "../ui.tsx";

const indexes = collections[":name"].indexes;
const MAX_FIELDS = 5;

/** Wordings for the API's refusals of a new index. */
const ADD_MESSAGES = {
  index_exists: "An index with this name, or over these fields in this order, exists already.",
  duplicate_key: "Documents already repeat a value of these fields, so the index cannot be " +
    "unique. Nothing was built.",
  quota_exceeded: "A collection has at most 20 indexes besides _id_. Drop one first.",
};

interface Props {
  slug: string;
  name: string;
  indexes: Index[];
  manages: boolean;
  /** Field paths seen in the documents, offered while typing. */
  known: string[];
  onChanged: () => void;
}

function DropIndex(
  { slug, name, index, onDropped, onCancel }: {
    slug: string;
    name: string;
    index: string;
    onDropped: () => void;
    onCancel: () => void;
  },
) {
  const action = useAction();
  const [confirm, setConfirm] = useState("");
  return (
    <form
      class="stack drop-index"
      aria-label={`Drop the index ${index}`}
      onSubmit={(e: Event) => {
        e.preventDefault();
        void action.run(async () => {
          const res = await send(() => indexes[":index"].$delete({ param: { slug, name, index } }));
          if (!res.ok) return await problemOf(res);
          onDropped();
        });
      }}
    >
      <ConfirmName expected={index} value={confirm} onInput={setConfirm} />
      <div class="row">
        <button type="submit" class="danger" disabled={action.busy || confirm !== index}>
          Drop index
        </button>
        <button type="button" onClick={onCancel}>Keep it</button>
      </div>
      <ProblemNote problem={action.problem} />
    </form>
  );
}

function AddIndex(
  { slug, name, known, onAdded }: Omit<Props, "indexes" | "manages" | "onChanged"> & {
    onAdded: () => void;
  },
) {
  const action = useAction();
  const [fields, setFields] = useState<{ field: string; dir: 1 | -1 }[]>([{ field: "", dir: 1 }]);
  const [unique, setUnique] = useState(false);
  const [ixName, setIxName] = useState("");
  const [made, setMade] = useState<string | null>(null);
  const at = (i: number, f: Partial<{ field: string; dir: 1 | -1 }>) =>
    setFields(fields.map((old, j) => j === i ? { ...old, ...f } : old));
  return (
    <form
      class="stack add-index"
      aria-labelledby="add-index-title"
      onSubmit={(e: Event) => {
        e.preventDefault();
        void action.run(async () => {
          setMade(null);
          const spec = Object.fromEntries(
            fields.filter((f) => f.field.trim()).map((f) => [f.field.trim(), f.dir]),
          );
          const res = await send(() =>
            indexes.$post({
              param: { slug, name },
              json: {
                fields: spec,
                ...(unique ? { unique: true } : {}),
                ...(ixName.trim() ? { name: ixName.trim() } : {}),
              },
            })
          );
          if (!res.ok) return await problemOf(res);
          setMade((await res.json()).name);
          setFields([{ field: "", dir: 1 }]);
          setUnique(false);
          setIxName("");
          onAdded();
        });
      }}
    >
      <h3 id="add-index-title">Add an index</h3>
      <datalist id="index-fields">
        {known.filter((f) => f !== "_id").map((f) => <option key={f} value={f} />)}
      </datalist>
      {fields.map((f, i) => (
        <div class="row index-field" key={i}>
          <input
            class="code grow"
            list="index-fields"
            autocomplete="off"
            spellcheck={false}
            required={i === 0}
            aria-label={`Index field ${i + 1}`}
            placeholder="field, e.g. email"
            value={f.field}
            onInput={(e: Event) => at(i, { field: (e.target as HTMLInputElement).value })}
          />
          <select
            aria-label={`Direction of index field ${i + 1}`}
            onChange={(e: Event) =>
              at(i, { dir: (e.target as HTMLSelectElement).value === "-1" ? -1 : 1 })}
          >
            <option value="1" selected={f.dir === 1}>Ascending</option>
            <option value="-1" selected={f.dir === -1}>Descending</option>
          </select>
          {i > 0
            ? (
              <button
                type="button"
                aria-label={`Remove index field ${i + 1}`}
                onClick={() => setFields(fields.filter((_, j) => j !== i))}
              >
                ✕
              </button>
            )
            : null}
        </div>
      ))}
      {fields.length < MAX_FIELDS
        ? (
          <button
            type="button"
            class="link-button"
            onClick={() => setFields([...fields, { field: "", dir: 1 }])}
          >
            + Another field (compound index)
          </button>
        )
        : null}
      <label class="choice">
        <input
          type="checkbox"
          checked={unique}
          onChange={(e: Event) => setUnique((e.target as HTMLInputElement).checked)}
        />
        Unique: no two documents with the same values
      </label>
      <label>
        Index name (optional)
        <input
          class="code"
          autocomplete="off"
          maxlength={64}
          placeholder="named after its fields"
          value={ixName}
          onInput={(e: Event) => setIxName((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" class="primary" disabled={action.busy}>Build index</button>
      <ProblemNote problem={action.problem} messages={ADD_MESSAGES} />
      {made ? <p role="status" class="notice">Index {made} built.</p> : null}
    </form>
  );
}

export function IndexManager(props: Props) {
  const { slug, name, manages } = props;
  const [dropping, setDropping] = useState<string | null>(null);
  return (
    <section class="card" aria-labelledby="indexes-title">
      <h2 id="indexes-title">Indexes</h2>
      <ul class="list index-list" aria-label="Indexes of this collection">
        {props.indexes.map((i) => (
          <li key={i.name} class="item" data-index={i.name}>
            <div class="row wrap grow">
              <code class="index-name">{i.name}</code>
              <span>{indexLabel(i)}</span>
              {i.unique ? <span class="badge">unique</span> : null}
            </div>
            {manages && i.name !== "_id_" && dropping !== i.name
              ? (
                <button
                  type="button"
                  aria-label={`Drop index ${i.name}`}
                  onClick={() => setDropping(i.name)}
                >
                  Drop
                </button>
              )
              : null}
            {dropping === i.name
              ? (
                <DropIndex
                  slug={slug}
                  name={name}
                  index={i.name}
                  onCancel={() => setDropping(null)}
                  onDropped={() => {
                    setDropping(null);
                    props.onChanged();
                  }}
                />
              )
              : null}
          </li>
        ))}
      </ul>
      {manages
        ? <AddIndex slug={slug} name={name} known={props.known} onAdded={props.onChanged} />
        : <p class="muted hint">Owners and admins add and drop indexes.</p>}
    </section>
  );
}
