// Sign in with a token alone (WhoAmI says whom it acts for; the admin token then names the actor
// it acts for), or register an actor and get its token.

import { h, replace } from "../dom";
import { actors, rememberActor } from "../api";
import { problem, type Problem } from "../errors";
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
  // Sign in: the token alone; WhoAmI tells whom it acts for.
  const kit = new FormKit("si", "signin-form");
  const token = h("input", { type: "password", autocomplete: "off", spellcheck: "false", "data-testid": "signin-token" });
  const actFor = h("div", { "aria-live": "polite" });
  kit.form.append(
    kit.summary,
    kit.field("token", t("signIn.token"), token, undefined, true),
    h("button", { type: "submit", "data-testid": "signin-submit" }, t("signIn.submit")),
  );
  kit.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    replace(actFor);
    const pasted = token.value.trim();
    if (!pasted) {
      kit.show(required("token", t("signIn.needToken")));
      return;
    }
    await busy(kit, async () => {
      const who = await actors.whoAmI({}, { headers: { authorization: `Bearer ${pasted}` } });
      if (who.actor) {
        rememberActor(who.actor);
        enter(pasted, who.actor.id);
      } else if (who.admin) {
        replace(actFor, actForForm(pasted, current?.actorId ?? ""));
        actFor.querySelector<HTMLInputElement>("[data-testid=signin-actor]")?.focus();
      }
    }, (p) => kit.showBeside("token", p));
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
    await busy(reg, async () => {
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
    }, (p) => reg.show(p));
  });

  route.main.append(
    pageHeading(t("signIn.title")),
    h("div", { class: "two-col" },
      h("section", { "aria-labelledby": "si-h", class: "card" }, h("h2", { id: "si-h" }, t("signIn.title")), h("p", { class: "muted" }, t("signIn.intro")), kit.form, actFor),
      h("section", { "aria-labelledby": "ra-h", class: "card" }, h("h2", { id: "ra-h" }, t("signIn.registerTitle")), h("p", { class: "muted" }, t("signIn.registerIntro")), reg.form, result),
    ),
  );
}

/** A form's own check that a required field is filled, shown as the hub shows its own. */
function required(field: string, description: string): Problem {
  return { code: 3, codeName: "INVALID_ARGUMENT", reason: "", raw: "", text: "", violations: [{ field, description }], metadata: {} };
}

/** Runs a form's call with its submit button disabled; a refusal goes to `refused`. */
async function busy(kit: FormKit, call: () => Promise<void>, refused: (p: Problem) => void): Promise<void> {
  kit.clear();
  const button = kit.form.querySelector("button[type=submit]") as HTMLButtonElement;
  button.disabled = true;
  try {
    await call();
  } catch (err) {
    refused(problem(err));
  } finally {
    button.disabled = false;
  }
}

function enter(token: string, actorId: string): void {
  signIn(token, actorId);
  window.location.hash = "#/me";
}

/** The admin token may act for any actor: asks which one, checked with GetActor. */
function actForForm(token: string, actorId: string): HTMLElement {
  const kit = new FormKit("af", "act-for-form");
  const id = h("input", { type: "text", autocomplete: "off", spellcheck: "false", value: actorId, "data-testid": "signin-actor" });
  kit.form.append(
    kit.summary,
    kit.field("actor_id", t("signIn.actorId"), id, t("signIn.actorHelp"), true),
    h("button", { type: "submit", "data-testid": "signin-act-submit" }, t("signIn.actSubmit")),
  );
  kit.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const wanted = id.value.trim();
    if (!wanted) {
      kit.show(required("actor_id", t("signIn.needActor")));
      return;
    }
    await busy(kit, async () => {
      const found = await actors.getActor({ id: wanted });
      rememberActor(found);
      enter(token, found.id);
    }, (p) => kit.showBeside("actor_id", p));
  });
  return h(
    "section",
    { "aria-labelledby": "af-h", class: "act-for", "data-testid": "act-for" },
    h("h3", { id: "af-h" }, t("signIn.adminTitle")),
    h("p", { class: "muted" }, t("signIn.adminIntro")),
    kit.form,
  );
}
