import { classify, MailError, oneLine, redactSmtpUrl } from "./mail.ts";
import { assert, assertEquals } from "../../tests/support/assert.ts";

Deno.test("classify(): 5xx is permanent; 4xx, refused logins and connection errors are temporary", () => {
  const smtp = (responseCode: number, code = "EENVELOPE") =>
    Object.assign(new Error(`${responseCode} answer`), { responseCode, code });
  assertEquals(classify(smtp(550)).temporary, false);
  assertEquals(classify(smtp(554, "EMESSAGE")).temporary, false);
  assertEquals(classify(smtp(451)).temporary, true);
  assertEquals(classify(smtp(421, "EPROTOCOL")).temporary, true);
  // A refused login is the configuration's fault: the mail waits until it is fixed.
  assertEquals(classify(smtp(535, "EAUTH")).temporary, true);
  const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ESOCKET" });
  assertEquals(classify(refused).temporary, true);
  assertEquals(classify(Object.assign(new Error("t"), { code: "ETIMEDOUT" })).temporary, true);
  assertEquals(classify(smtp(550)).responseCode, 550);
  const kept = new MailError("no", false);
  assertEquals(classify(kept), kept);
});

Deno.test("oneLine() leaves no CR, LF or other control character in a header value", () => {
  assertEquals(oneLine("Acme\r\nBcc: x@y.z\n\tX: 1\u0000"), "Acme Bcc: x@y.z X: 1");
});

Deno.test("redactSmtpUrl() hides the password and nothing else", () => {
  const shown = redactSmtpUrl("smtp://mailer:hunter2@smtp.example.com:587");
  assertEquals(shown, "smtp://mailer:***@smtp.example.com:587");
  assert(!redactSmtpUrl("smtps://u:p%40ss@h").includes("p%40ss"));
  assertEquals(redactSmtpUrl("smtp://smtp.example.com:25"), "smtp://smtp.example.com:25");
});
