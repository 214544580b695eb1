// The ntms page's model: follows org.ntms.Ntms1 on the system bus through Cockpit's D-Bus client
// (proxies for libraries, jobs and operator requests, kept current by PropertiesChanged and the
// ObjectManager's signals), asks each library what the user may do (Library.CallerAccess), reads
// slot maps (Library.ListElements) and calls the actions. The view is ntms-view.js.
"use strict";

(function () {
    const V = window.ntmsVocabulary;
    const view = window.ntmsView;
    const SERVICE = "org.ntms.Ntms1";
    const ROOT = "/org/ntms/Ntms1";
    const IFACE = {
        manager: "org.ntms.Ntms1.Manager",
        library: "org.ntms.Ntms1.Library",
        job: "org.ntms.Ntms1.Job",
        request: "org.ntms.Ntms1.OperatorRequest",
    };
    const INJECT_START = 0;
    const INJECT_STOP = 1;
    const EJECT_START = 0;
    const INVENTORY_DEFAULT = 3;
    const DOOR_NO_INVENTORY = 0;
    const OPEN_REQUEST_STATES = [1, 2, 3]; // SUBMITTED, ACTIVE, INPROGRESS
    const RUNNING_JOB_STATES = [0, 1, 5, 6]; // QUEUED, INPROCESS, WAITING, DEFERRED

    const client = cockpit.dbus(SERVICE, { bus: "system" });
    const libraries = client.proxies(IFACE.library, ROOT);
    const jobs = client.proxies(IFACE.job, ROOT);
    const requests = client.proxies(IFACE.request, ROOT);
    const extra = {}; // per library path: { key, rights, elements, elementsError, reading }
    const announced = {}; // per job path: the state last announced
    let renderPending = false;

    // A D-Bus error in words: the RSM error's text, constant and code, then ntmsd's message.
    function describe(error) {
        const name = (error && error.name) || "";
        const message = (error && error.message) || String(error);
        if (name.startsWith(V.errorPrefix)) {
            const entry = V.errors[name.slice(V.errorPrefix.length)];
            if (entry)
                return entry.text + " (" + entry.constant + ", " + entry.code + "): " + message;
            const coded = /^error (\d+):/.exec(message);
            if (coded)
                return view.errorText(Number(coded[1])) + ": " + message;
        }
        if (name === "org.freedesktop.DBus.Error.ServiceUnknown" ||
            (error && error.problem === "not-found"))
            return "ntmsd is not running or not reachable on the system bus (" + message + ")";
        if (name === "org.freedesktop.DBus.Error.AccessDenied")
            return "The system bus does not let you talk to ntmsd (" + message + ")";
        return message;
    }

    function showError(what, error) {
        const box = document.getElementById("error");
        box.textContent = what + ": " + describe(error);
        box.hidden = false;
    }

    function clearError() {
        const box = document.getElementById("error");
        box.hidden = true;
        box.textContent = "";
    }

    function announce(text) {
        document.getElementById("announce").textContent = text;
    }

    function libraryInfo(path) {
        const proxy = libraries[path];
        if (!proxy || !proxy.valid)
            return null;
        if (!extra[path])
            extra[path] = { key: path.split("/").pop() };
        return Object.assign(Object.create(null), proxy.data, extra[path], { path: path });
    }

    function call(path, iface, method, args) {
        return client.call(path, iface, method, args);
    }

    function readRights(path) {
        call(path, IFACE.library, "CallerAccess", [])
            .then(([rights]) => { extra[path].rights = rights; })
            .catch(error => {
                // An ntmsd without CallerAccess: the actions stay enabled, and a refusal is shown
                // as the error it is when one is tried.
                if (error.name !== "org.freedesktop.DBus.Error.UnknownMethod")
                    showError("Reading your rights to a library failed", error);
            })
            .finally(render);
    }

    // The slot map is not a property (no signal carries it): it is read again when the library
    // or one of its jobs changes.
    function readElements(path) {
        const info = extra[path];
        if (!info || info.reading) {
            if (info)
                info.again = true;
            return;
        }
        info.reading = true;
        call(path, IFACE.library, "ListElements", [])
            .then(([elements]) => {
                info.elements = elements;
                info.elementsError = null;
            })
            .catch(error => { info.elementsError = describe(error); })
            .finally(() => {
                info.reading = false;
                if (info.again) {
                    info.again = false;
                    readElements(path);
                }
                render();
            });
    }

    function act(what, promise) {
        clearError();
        return promise.catch(error => showError(what + " failed", error)).finally(render);
    }

    const handlers = {
        inject(lib) {
            act("Inject into " + lib.Name,
                call(ROOT, IFACE.manager, "InjectMedia", [lib.Id, INJECT_START, "", {}]));
        },
        stopInject(lib, job) {
            act("Stopping the inject into " + lib.Name,
                call(ROOT, IFACE.manager, "InjectMedia", [lib.Id, INJECT_STOP, job.Id, {}]));
        },
        eject(lib, medium, barcode) {
            act("Eject of " + (barcode || medium),
                call(ROOT, IFACE.manager, "EjectMedia", [medium, EJECT_START, "", {}]));
        },
        inventory(lib) {
            act("Inventory of " + lib.Name, call(lib.path, IFACE.library, "Inventory", [INVENTORY_DEFAULT]));
        },
        door(lib) {
            act("Door of " + lib.Name, call(lib.path, IFACE.library, "AccessDoor", [DOOR_NO_INVENTORY]));
        },
        satisfy(req) {
            act("Satisfying the request", call(req.path, IFACE.request, "Satisfy", []));
        },
        refuse(req) {
            act("Cancelling the request", call(req.path, IFACE.request, "Cancel", []));
        },
        cancelJob(job) {
            act("Cancelling the job", call(job.path, IFACE.job, "Cancel", [{}]));
        },
    };

    function valid(proxies) {
        return Object.keys(proxies).filter(p => proxies[p].valid)
            .map(p => Object.assign(Object.create(null), proxies[p].data, { path: p }));
    }

    function render() {
        if (renderPending)
            return;
        renderPending = true;
        window.requestAnimationFrame(() => {
            renderPending = false;
            draw();
        });
    }

    // Redraws the three sections; the focused button is focused again by its id.
    function draw() {
        const focused = document.activeElement && document.activeElement.id;
        const libs = Object.keys(libraries).map(libraryInfo).filter(l => l)
            .sort((a, b) => a.Name.localeCompare(b.Name));
        const byPath = {};
        for (const l of libs)
            byPath[l.path] = l;
        const libraryOf = path => byPath[path];
        const jobList = valid(jobs).sort((a, b) => b.TimeQueued - a.TimeQueued);
        const running = {};
        for (const j of jobList)
            if (j.Operation === "inject" && RUNNING_JOB_STATES.includes(j.State) && !running[j.Library])
                running[j.Library] = j;

        const libBox = document.getElementById("libraries");
        libBox.replaceChildren(...(libs.length ? libs.map(l => view.library(l, running[l.path], handlers))
            : [view.el("p", { class: "empty" }, "ntmsd has no library.")]));
        const open = valid(requests).filter(r => OPEN_REQUEST_STATES.includes(r.State))
            .sort((a, b) => a.TimeSubmitted - b.TimeSubmitted);
        document.getElementById("requests").replaceChildren(view.requests(open, libraryOf, handlers));
        document.getElementById("jobs").replaceChildren(view.jobs(jobList, libraryOf, handlers));
        if (focused) {
            const again = document.getElementById(focused);
            if (again)
                again.focus();
        }
    }

    function jobChanged(path) {
        const job = jobs[path];
        if (!job || !job.valid)
            return;
        const state = view.jobStateName(job.State);
        if (announced[path] !== undefined && announced[path] !== state)
            announce("The " + job.Operation + " job is now " + state + ".");
        announced[path] = state;
        if (!RUNNING_JOB_STATES.includes(job.State) || job.MediaMoved)
            readElements(job.Library);
    }

    libraries.addEventListener("added", (event, proxy) => {
        extra[proxy.path] = extra[proxy.path] || { key: proxy.path.split("/").pop() };
        readRights(proxy.path);
        readElements(proxy.path);
        render();
    });
    libraries.addEventListener("changed", (event, proxy) => {
        readElements(proxy.path);
        render();
    });
    libraries.addEventListener("removed", (event, proxy) => {
        delete extra[proxy.path];
        render();
    });
    for (const proxies of [jobs, requests]) {
        proxies.addEventListener("added", (event, proxy) => {
            if (proxies === jobs)
                jobChanged(proxy.path);
            render();
        });
        proxies.addEventListener("changed", (event, proxy) => {
            if (proxies === jobs)
                jobChanged(proxy.path);
            render();
        });
        proxies.addEventListener("removed", render);
    }

    Promise.all([libraries.wait(), jobs.wait(), requests.wait()])
        .then(() => {
            const status = document.getElementById("status");
            status.textContent = "Connected to ntmsd.";
            status.dataset.ready = "1";
            for (const path of Object.keys(libraries)) {
                if (!extra[path] || extra[path].rights === undefined)
                    readRights(path);
                readElements(path);
            }
            render();
        })
        .catch(error => showError("Connecting to ntmsd failed", error));
    client.addEventListener("close", (event, options) => {
        document.getElementById("status").textContent = "Disconnected from ntmsd.";
        if (options && options.problem)
            showError("The connection to ntmsd closed", options);
    });
})();
