// The ntms page's view: builds the DOM of libraries, slot maps, operator requests and jobs from
// the model that ntms.js keeps. No HTML strings: every text goes in as a text node.
"use strict";

window.ntmsView = (function () {
    const V = window.ntmsVocabulary;
    const CONTROL = 4;
    const USE = 1;

    function el(tag, attrs, ...children) {
        const node = document.createElement(tag);
        for (const [key, value] of Object.entries(attrs || {})) {
            if (value === undefined || value === null || value === false)
                continue;
            if (key === "class")
                node.className = value;
            else if (key === "onclick")
                node.addEventListener("click", value);
            else
                node.setAttribute(key, value === true ? "" : String(value));
        }
        for (const child of children.flat()) {
            if (child === undefined || child === null || child === false)
                continue;
            node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
        }
        return node;
    }

    function time(us) {
        if (!us)
            return "";
        return new Date(us / 1000).toLocaleString();
    }

    function jobStateName(state) {
        const s = V.jobStates[state];
        return s ? s.name.toUpperCase() : "STATE " + state;
    }

    function errorText(code) {
        for (const e of Object.values(V.errors))
            if (e.code === code)
                return e.text + " (" + e.constant + ", " + code + ")";
        return "error " + code;
    }

    // What a library's caller may not do, in words; "" when it may act.
    function controlReason(lib) {
        if (lib.rights === undefined)
            return "";
        if ((lib.rights & CONTROL) === 0)
            return "You lack CONTROL access to library " + lib.Name + ", which these actions need.";
        return "";
    }

    // A button that is disabled, with its reason linked, when reason is not empty.
    // extra.reasonId names the element that shows the reason (aria-describedby).
    function action(id, label, reason, onclick, extra) {
        const attrs = Object.assign({}, extra || {});
        const reasonId = attrs.reasonId;
        delete attrs.reasonId;
        return el("button", Object.assign({
            id: id,
            type: "button",
            disabled: reason !== "",
            "aria-describedby": reason !== "" ? reasonId : null,
            title: reason || null,
            onclick: onclick,
        }, attrs), label);
    }

    function facts(pairs) {
        return el("dl", { class: "facts" },
                  pairs.map(([term, value, cls]) => el("div", {}, el("dt", {}, term),
                                                       el("dd", { class: cls }, value))));
    }

    function slotCell(lib, e, controlDenied, handlers) {
        const [address, kind, full, medium, barcode] = e;
        const label = kind + " " + address + ": " +
            (full ? (barcode ? "cartridge " + barcode : "cartridge without bar code") : "empty");
        const cell = el("li", {
            class: "slot" + (full ? " full" : ""),
            "data-element": address,
            "data-kind": kind,
            "data-full": full ? "1" : "0",
            "data-barcode": barcode,
            "aria-label": label,
        },
            el("span", { class: "address" }, kind + " " + address),
            el("span", { class: full && barcode ? "barcode" : "empty" },
               full ? (barcode || "unlabelled") : "empty"));
        if (kind === "storage" && medium) {
            const id = "eject-" + lib.key + "-" + address;
            cell.append(action(id, "Eject", controlDenied, () => handlers.eject(lib, medium, barcode),
                               { "aria-label": "Eject " + (barcode || "cartridge") + " from slot " + address,
                                 reasonId: "reason-" + lib.key }));
        }
        return cell;
    }

    function slotMap(lib, handlers) {
        const box = el("div", { class: "slots" }, el("h4", { class: "visually-hidden" }, "Slot map"));
        if (lib.elementsError) {
            box.append(el("p", { class: "reason" }, "Slot map not shown: " + lib.elementsError));
            return box;
        }
        if (!lib.elements) {
            box.append(el("p", { class: "empty" }, "Reading the slot map\u2026"));
            return box;
        }
        const denied = controlReason(lib);
        const groups = [["drive", "Drives"], ["port", "Import/export ports"], ["storage", "Storage slots"]];
        for (const [kind, title] of groups) {
            const cells = lib.elements.filter(e => e[1] === kind);
            if (cells.length === 0)
                continue;
            const headingId = "slots-" + lib.key + "-" + kind;
            box.append(el("h4", { id: headingId }, title + " (" + cells.length + ")"),
                       el("ul", { class: "slot-grid", "aria-labelledby": headingId },
                          cells.map(e => slotCell(lib, e, denied, handlers))));
        }
        return box;
    }

    function library(lib, runningInject, handlers) {
        const denied = controlReason(lib);
        const full = lib.Slots - lib.FreeSlots;
        const section = el("article", { class: "library", "data-library": lib.Name, "data-key": lib.key,
                                        "aria-labelledby": "lib-" + lib.key },
            el("h3", { id: "lib-" + lib.key }, lib.Name),
            facts([
                ["State", lib.State + (lib.OfflineReason ? " (" + lib.OfflineReason + ")" : ""),
                    "state-" + lib.State],
                ["Full slots", String(full)],
                ["Free slots", String(lib.FreeSlots)],
                ["Drives", String(lib.Drives)],
                ["Device", lib.Vendor + " " + lib.Product],
            ]));
        const doorReason = denied || (lib.Door ? "" : "This library has no door that ntmsd can release.");
        const actions = el("div", { class: "actions", role: "group", "aria-label": "Actions on " + lib.Name });
        if (runningInject) {
            actions.append(action("stop-" + lib.key, "Stop inject", denied,
                                  () => handlers.stopInject(lib, runningInject),
                                  { reasonId: "reason-" + lib.key }));
        } else {
            actions.append(action("inject-" + lib.key, "Inject", denied, () => handlers.inject(lib),
                                  { reasonId: "reason-" + lib.key }));
        }
        actions.append(
            action("inventory-" + lib.key, "Inventory", denied, () => handlers.inventory(lib),
                   { class: "secondary", reasonId: "reason-" + lib.key }),
            action("door-" + lib.key, "Door", doorReason, () => handlers.door(lib),
                   { class: "secondary", reasonId: "reason-" + lib.key }));
        section.append(actions);
        // One reason per library, which every disabled button names through aria-describedby.
        const reasons = [denied, denied ? "" : doorReason].filter(r => r);
        if (reasons.length)
            section.append(el("p", { class: "reason", id: "reason-" + lib.key }, reasons.join(" ")));
        if (lib.rights !== undefined && (lib.rights & USE) === 0 && !lib.elementsError)
            section.append(el("p", { class: "reason" }, "You lack USE access: the slot map is not readable."));
        section.append(slotMap(lib, handlers));
        return section;
    }

    function requests(list, libraryOf, handlers) {
        if (list.length === 0)
            return el("p", { class: "empty" }, "No operator request is open.");
        return el("ul", { class: "requests" }, list.map(req => {
            const lib = libraryOf(req.Library);
            const denied = lib ? controlReason(lib) : "";
            const type = V.opreqTypes[req.Type];
            const key = req.Id;
            return el("li", { class: "library", "data-request": req.Id, "data-job-path": req.Job },
                el("p", {}, el("strong", {}, (type ? type.name : "request") + ": "), req.Message),
                el("p", { class: "reason" }, (lib ? lib.Name + ", " : "") + "posted " + time(req.TimeSubmitted)),
                el("div", { class: "actions" },
                   action("satisfy-" + key, "Satisfy", denied, () => handlers.satisfy(req),
                          { "aria-label": "Satisfy: " + req.Message, reasonId: "reason-" + key }),
                   action("refuse-" + key, "Cancel request", denied, () => handlers.refuse(req),
                          { class: "secondary", "aria-label": "Cancel request: " + req.Message,
                            reasonId: "reason-" + key })),
                denied ? el("p", { class: "reason", id: "reason-" + key }, denied) : null);
        }));
    }

    function jobs(list, libraryOf, handlers) {
        if (list.length === 0)
            return el("p", { class: "empty" }, "No job is running or recently finished.");
        const columns = ["Operation", "Library", "State", "Media moved", "Queued", "Result", ""];
        return el("table", {},
            el("caption", { class: "visually-hidden" }, "Running and recent jobs"),
            el("thead", {}, el("tr", {}, columns.map(c => el("th", { scope: "col" }, c)))),
            el("tbody", {}, list.map(job => {
                const lib = libraryOf(job.Library);
                const stateName = jobStateName(job.State);
                const denied = lib ? controlReason(lib) : "";
                const final = [2, 3, 4, 7, 8].includes(job.State);
                const result = job.Error ? errorText(job.Error) + (job.ErrorMessage ? ": " + job.ErrorMessage : "")
                    : (final ? "success" : "");
                return el("tr", { "data-job": job.Id, "data-path": job.path, "data-state": stateName },
                    el("td", { "data-label": columns[0] }, job.Operation),
                    el("td", { "data-label": columns[1] }, lib ? lib.Name : ""),
                    el("td", { "data-label": columns[2], class: "job-" + stateName.toLowerCase() }, stateName),
                    el("td", { "data-label": columns[3] }, String(job.MediaMoved)),
                    el("td", { "data-label": columns[4] }, time(job.TimeQueued)),
                    el("td", { "data-label": columns[5] }, result),
                    el("td", { "data-label": "Action" },
                       job.Cancelable && !final
                           ? action("cancel-" + job.Id, "Cancel", denied, () => handlers.cancelJob(job),
                                    { class: "secondary", "aria-label": "Cancel " + job.Operation + " job",
                                      reasonId: lib ? "reason-" + lib.key : null })
                           : null));
            })));
    }

    return { el, library, requests, jobs, jobStateName, errorText };
})();
