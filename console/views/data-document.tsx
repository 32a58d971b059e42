/**
 * One document: its JSON, edited as a whole and written back with `If-Match` (the ETag read
 * with it), so a change made meanwhile by someone else is refused (412) instead of overwritten;
 * deleted the same way.
 */
import { useEffect, useState } from "hono/jsx/dom";
import { type Problem, problemOf } from "../../src/client.ts";
import { type Doc, documents, editable, parseObject } from "../data-api.ts";
import { networkProblem, ProblemNote, useAction } from "../problems.tsx";
import { go } from "../router.ts";
import { send, type Session } from "../session.ts";
import { Heading } from "../ui.tsx";
import { Breadcrumb } from "./data-collection.tsx";

/** A document as read: its fields and the version they are. */
interface Read {
  doc: Doc;
  etag: string;
}

export function DocumentPage(
  { session, name, id }: { session: Session; name: string; id: string },
) {
  const slug = session.org.slug;
  const param = { slug, name, documentId: id };
  const [read, setRead] = useState<Read | null>(null);
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const [text, setText] = useState<string | null>(null); // the editor's text while editing
  const save = useAction();
  const remove = useAction();

  useEffect(() => {
    let current = true;
    setLoading(true);
    (async () => {
      const res = await send(() => documents[":documentId"].$get({ param, header: {} }));
      if (!current) return;
      if (res.status === 200) {
        const doc = await res.json() as Doc;
        setRead({ doc, etag: res.headers.get("ETag") ?? "" });
        setLoadProblem(null);
      } else {
        setRead(null);
        setLoadProblem(await problemOf(res));
      }
    })().catch((e) => current && setLoadProblem(networkProblem(e)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [slug, name, id, generation]);

  /** Read the document again: the editor closes and shows the current version. */
  const reload = () => {
    setText(null);
    save.setProblem(null);
    remove.setProblem(null);
    setGeneration((g) => g + 1);
  };
  const stale = (p: Problem | null) =>
    p?.code === "precondition_failed"
      ? <button type="button" onClick={reload}>Reload the document</button>
      : null;

  return (
    <>
      <Breadcrumb name={name} />
      <Heading>Document {id}</Heading>
      <ProblemNote problem={loadProblem} />
      {read
        ? (
          <section class="card" aria-labelledby="document-title">
            <h2 id="document-title" class="visually-hidden">Document</h2>
            {text === null
              ? (
                <>
                  <pre
                    class="json"
                    tabindex={0}
                    role="region"
                    aria-label="Document JSON"
                    data-testid="document-json"
                  >{JSON.stringify(read.doc, null, 2)}</pre>
                  <div class="row wrap">
                    <button
                      type="button"
                      class="primary"
                      onClick={() => {
                        save.setProblem(null);
                        setText(editable(read.doc));
                      }}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      class="danger"
                      disabled={remove.busy}
                      onClick={() =>
                        void remove.run(async () => {
                          if (!confirm("Delete this document?")) return;
                          const res = await send(() =>
                            documents[":documentId"].$delete({
                              param,
                              header: { "if-match": read.etag },
                            })
                          );
                          if (!res.ok) return await problemOf(res);
                          go("data", name);
                        })}
                    >
                      Delete
                    </button>
                    <button type="button" disabled={loading} onClick={reload}>Reload</button>
                  </div>
                  <ProblemNote problem={remove.problem} />
                  {stale(remove.problem)}
                </>
              )
              : (
                <form
                  class="stack"
                  onSubmit={(e: Event) => {
                    e.preventDefault();
                    void save.run(async () => {
                      const parsed = parseObject(text);
                      if (!parsed.ok) return parsed.problem;
                      const res = await send(() =>
                        documents[":documentId"].$put({
                          param,
                          header: { "if-match": read.etag },
                          json: parsed.value,
                        })
                      );
                      if (!res.ok) return await problemOf(res);
                      const doc = await res.json() as Doc;
                      setRead({ doc, etag: res.headers.get("ETag") ?? "" });
                      setText(null);
                    });
                  }}
                >
                  <label>
                    Document (JSON)
                    <textarea
                      name="document"
                      class="code"
                      rows={Math.min(24, Math.max(6, text.split("\n").length + 1))}
                      spellcheck={false}
                      aria-describedby="edit-hint"
                      value={text}
                      onInput={(e: Event) => setText((e.target as HTMLTextAreaElement).value)}
                    />
                  </label>
                  <p class="muted hint" id="edit-hint">
                    Saving replaces the whole document (fields left out are removed), only if no one
                    changed it since you opened it. Its <code>_id</code> stays.
                  </p>
                  <div class="row wrap">
                    <button type="submit" class="primary" disabled={save.busy}>Save</button>
                    <button type="button" disabled={save.busy} onClick={() => setText(null)}>
                      Cancel
                    </button>
                  </div>
                  <ProblemNote problem={save.problem} />
                  {stale(save.problem)}
                </form>
              )}
          </section>
        )
        : loading
        ? <p class="muted">Loading…</p>
        : null}
    </>
  );
}
