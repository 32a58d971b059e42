import { MongoServerError } from "mongodb";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import {
  isDroppedMidRead,
  isDuplicateKey,
  isNamespaceExists,
  isNamespaceNotFound,
  isNotImplemented,
  isTimedOut,
  isUnavailable,
} from "./db.ts";

const server = (code: number, codeName?: string) =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: "refused" });

Deno.test("each driver error predicate names one server error code, and only that one", () => {
  const predicates = {
    isDuplicateKey,
    isNamespaceExists,
    isNamespaceNotFound,
    isNotImplemented,
    isTimedOut,
    isUnavailable,
  };
  const cases: [MongoServerError, keyof typeof predicates | null][] = [
    [server(11000), "isDuplicateKey"],
    [server(48), "isNamespaceExists"],
    [server(26), "isNamespaceNotFound"],
    [server(238), "isNotImplemented"],
    [server(0, "NotImplemented"), "isNotImplemented"],
    [server(50), "isTimedOut"],
    [server(43), "isUnavailable"],
    [server(11600), "isUnavailable"],
    [server(2), null],
  ];
  for (const [e, name] of cases) {
    for (const [p, is] of Object.entries(predicates)) {
      assertEquals(is(e), p === name, `${p}(code ${e.code} ${e.codeName ?? ""})`);
    }
  }
  assertEquals(isNamespaceNotFound(new Error("ns not found")), false);
});

Deno.test("isDroppedMidRead() knows FerretDB's read under a drop, and nothing else", () => {
  const ferret = new MongoServerError({
    code: 1,
    errmsg: 'ERROR: relation "tbf2_6b16._meta_3382" does not exist (SQLSTATE 42P01)',
  });
  assert(isDroppedMidRead(ferret));
  assert(!isDroppedMidRead(new MongoServerError({ code: 1, errmsg: "something else" })));
  assert(!isDroppedMidRead(new MongoServerError({ code: 26, errmsg: "(SQLSTATE 42P01)" })));
  assert(!isDroppedMidRead(new Error("(SQLSTATE 42P01)")));
});
