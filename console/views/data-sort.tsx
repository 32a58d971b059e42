/** Sorting a collection's documents: up to three fields, each ascending or descending. */
export interface SortKey {
  field: string;
  desc: boolean;
}

const MAX_SORT = 3;

/** `-createdAt,name`: the API's `?sort=` for these keys (empty fields left out). */
export const sortParam = (keys: SortKey[]) =>
  keys.filter((k) => k.field.trim()).map((k) => `${k.desc ? "-" : ""}${k.field.trim()}`).join(",");

/** Up to three sort fields, each ascending or descending; a change applies at once. */
export function SortFields(
  { keys, known, onEdit, onChange }: {
    keys: SortKey[];
    known: string[];
    /** A field being typed: kept, applied by its change (or the form's submit). */
    onEdit: (keys: SortKey[]) => void;
    onChange: (keys: SortKey[]) => void;
  },
) {
  const with_ = (i: number, k: Partial<SortKey>) =>
    keys.map((old, j) => j === i ? { ...old, ...k } : old);
  const at = (i: number, k: Partial<SortKey>) => onChange(with_(i, k));
  return (
    <fieldset class="sort" data-testid="sort">
      <legend>Sort</legend>
      <datalist id="known-fields">
        {known.map((f) => <option key={f} value={f} />)}
      </datalist>
      {keys.length === 0 ? <p class="muted hint">Oldest first (by _id).</p> : null}
      {keys.map((k, i) => (
        <div class="row sort-key" key={i}>
          <label class="grow">
            <span class="visually-hidden">Sort field {i + 1}</span>
            <input
              name={`sort-${i}`}
              class="code"
              list="known-fields"
              autocomplete="off"
              spellcheck={false}
              placeholder="field, e.g. createdAt"
              aria-label={`Sort field ${i + 1}`}
              value={k.field}
              onInput={(e: Event) =>
                onEdit(with_(i, { field: (e.target as HTMLInputElement).value }))}
              onChange={(e: Event) => at(i, { field: (e.target as HTMLInputElement).value })}
            />
          </label>
          <select
            aria-label={`Order of sort field ${i + 1}`}
            onChange={(e: Event) =>
              at(i, { desc: (e.target as HTMLSelectElement).value === "desc" })}
          >
            <option value="asc" selected={!k.desc}>Asc ↑</option>
            <option value="desc" selected={k.desc}>Desc ↓</option>
          </select>
          <button
            type="button"
            aria-label={`Remove sort field ${i + 1}`}
            onClick={() => onChange(keys.filter((_, j) => j !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      {keys.length < MAX_SORT
        ? (
          <button
            type="button"
            class="link-button"
            onClick={() => onChange([...keys, { field: "", desc: false }])}
          >
            + Sort by a field
          </button>
        )
        : null}
    </fieldset>
  );
}
