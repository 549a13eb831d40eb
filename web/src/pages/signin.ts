// Sign in with a token (and the actor it acts for), or register an actor and get its token.

import { h, replace } from "../dom";
import { actors, rememberActor } from "../api";
import { problem } from "../errors";
import { t } from "../i18n";
import { ActorKind } from "../gen/capacityhub/v1/common_pb";
import { FormKit } from "../formkit";
import { session, signIn } from "../session";
import type { Route } from "../route";
import { enumSelect, pageHeading, setTitle } from "../ui";
import { requestId, splitList } from "../util";

export function signInPage(route: Route): void {
  setTitle(t("signIn.title"));
  const current = session();
  // Sign in.
  const kit = new FormKit("si", "signin-form");
  const token = h("input", { type: "password", autocomplete: "off", spellcheck: "false", "data-testid": "signin-token" });
  const actorId = h("input", { type: "text", autocomplete: "off", value: current?.actorId ?? "", "data-testid": "signin-actor" });
  kit.form.append(
    kit.summary,
    kit.field("token", t("signIn.token"), token, undefined, true),
    kit.field("actor_id", t("signIn.actorId"), actorId, t("signIn.actorHelp"), true),
    h("button", { type: "submit", "data-testid": "signin-submit" }, t("signIn.submit")),
  );
  kit.form.addEventListener("submit", (e) => {
    e.preventDefault();
    const violations = [];
    if (!token.value.trim()) violations.push({ field: "token", description: t("signIn.needToken") });
    if (!actorId.value.trim()) violations.push({ field: "actor_id", description: t("signIn.needActor") });
    if (violations.length) {
      kit.show({ code: 3, codeName: "INVALID_ARGUMENT", reason: "", raw: "", text: "", violations, metadata: {} });
      return;
    }
    signIn(token.value.trim(), actorId.value.trim());
    window.location.hash = "#/me";
  });

  // Register an actor.
  const reg = new FormKit("ra", "register-form");
  const name = h("input", { type: "text", autocomplete: "organization", "data-testid": "register-name" });
  const kind = enumSelect("ra-kind", ActorKind, "actorKind", ActorKind.NATIONAL_GOVERNMENT);
  kind.setAttribute("data-testid", "register-kind");
  const country = h("input", { type: "text", autocomplete: "off", maxlength: 3, size: 5, "data-testid": "register-country" });
  const languages = h("input", { type: "text", autocomplete: "off", "data-testid": "register-languages" });
  const description = h("textarea", { rows: 3 });
  const contact = h("input", { type: "text", autocomplete: "email" });
  const result = h("div", { "aria-live": "polite" });
  reg.alias("languages", "languages");
  reg.form.append(
    reg.summary,
    reg.field("name", t("signIn.name"), name, undefined, true),
    reg.field("kind", t("signIn.kind"), kind, undefined, true),
    reg.field("country", t("signIn.country"), country),
    reg.field("languages", t("signIn.languages"), languages),
    reg.field("description", t("signIn.description"), description),
    reg.field("contact", t("signIn.contact"), contact),
    h("button", { type: "submit", "data-testid": "register-submit" }, t("signIn.register")),
  );
  reg.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    reg.clear();
    const button = reg.form.querySelector("button[type=submit]") as HTMLButtonElement;
    button.disabled = true;
    try {
      const res = await actors.registerActor({
        name: name.value.trim(),
        kind: Number(kind.value),
        country: country.value.trim().toUpperCase(),
        languages: splitList(languages.value.toLowerCase()),
        description: description.value.trim(),
        contact: contact.value.trim(),
        requestId: requestId(),
      });
      const a = res.actor!;
      rememberActor(a);
      if (res.apiToken) signIn(res.apiToken, a.id);
      replace(
        result,
        h(
          "div",
          { class: "success", role: "status", "data-testid": "registered", "data-actor-id": a.id },
          h("p", null, t("signIn.registered", { id: a.id })),
          h("label", { for: "new-token" }, t("signIn.tokenLabel")),
          h("input", { id: "new-token", type: "text", readonly: true, value: res.apiToken, "data-testid": "new-token", spellcheck: "false" }),
          h("p", null, t("signIn.signedIn", { id: a.id }), " ", h("a", { href: "#/me", "data-testid": "go-workspace" }, t("nav.workspace"))),
        ),
      );
      (result.querySelector("#new-token") as HTMLInputElement | null)?.focus();
      reg.form.reset();
    } catch (err) {
      reg.show(problem(err));
    } finally {
      button.disabled = false;
    }
  });

  route.main.append(
    pageHeading(t("signIn.title")),
    h("div", { class: "two-col" },
      h("section", { "aria-labelledby": "si-h", class: "card" }, h("h2", { id: "si-h" }, t("signIn.title")), h("p", { class: "muted" }, t("signIn.intro")), kit.form),
      h("section", { "aria-labelledby": "ra-h", class: "card" }, h("h2", { id: "ra-h" }, t("signIn.registerTitle")), h("p", { class: "muted" }, t("signIn.registerIntro")), reg.form, result),
    ),
  );
}
