#!/usr/bin/python3
"""The Cockpit page's browser test, host side, started by run-vm-test.sh next to QEMU.

Headless Chromium (python3-selenium, chromium-driver) logs into the guest's Cockpit through the
forwarded port, opens the ntms page and works it as an operator would; the guest
(guest-checks-cockpit.sh) is the operator at the library's port and turns each verdict into one
check of its report. The two talk over the guest's ttyS2 (QEMU's unix socket), one line at a time:
the guest says "ready", the browser asks "insert ADDRESS BARCODE" and gets "inserted ...", and
sends "diag NAME TEXT" and "result NAME ok|fail TEXT" for login, inject and viewer, in that order.
Screenshots go to LOGDIR (cockpit-*.png).
"""
import argparse
import os
import signal
import socket
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

OPERATOR = "ntmsop"
VIEWER = "ntmsview"
PASSWORD = "ntms-vm-cockpit"
BARCODE = "VMW001L8"
PORT_ELEMENT = 100
CHECKS = ["login", "inject", "viewer"]


def log(text):
    print(time.strftime("%H:%M:%S"), text, flush=True)


class Guest:
    """Lines over the guest's serial port."""

    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.buffer = b""

    def send(self, line):
        line = " ".join(str(line).split())  # one line, whatever the text held
        log("-> guest: " + line)
        self.sock.sendall(line.encode() + b"\n")

    def expect(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\n", 1)
                line = raw.decode(errors="replace").strip()
                if line:
                    log("<- guest: " + line)
                if line.startswith(prefix):
                    return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the guest did not say {prefix} within {timeout} s")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise ConnectionError("the guest's serial port closed")
            self.buffer += data


class Failed(Exception):
    pass


class Browser:
    def __init__(self, base, logdir):
        options = webdriver.ChromeOptions()
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--ignore-certificate-errors", "--window-size=1280,1100", "--lang=en-US"]:
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(180)
        self.base = base
        self.logdir = logdir
        self.key = ""  # the library's key on the page (its object path's last part)

    def wait(self, what, condition, timeout=120):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.5,
                                 ignored_exceptions=[StaleElementReferenceException]).until(
                lambda d: condition(d))
        except TimeoutException:
            raise Failed(f"{what}: not within {timeout} s") from None

    def css(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def shot(self, name):
        path = os.path.join(self.logdir, f"cockpit-{name}.png")
        self.driver.save_screenshot(path)
        log(f"screenshot {path}")
        return path

    def login(self, user):
        d = self.driver
        d.get(self.base + "/")
        d.delete_all_cookies()
        d.get(self.base + "/")
        # The form is in the page before its script shows it.
        self.wait("Cockpit's login form", lambda d: all(
            e.is_displayed() and e.is_enabled() for e in
            self.css("#login-user-input") + self.css("#login-password-input") +
            self.css("#login-button")) and self.css("#login-button"))
        self.css("#login-user-input")[0].send_keys(user)
        self.css("#login-password-input")[0].send_keys(PASSWORD)
        self.css("#login-button")[0].click()
        # Logged in once the login page has gone (the shell replaces it), or refused with its
        # message.
        self.wait(f"{user}'s Cockpit session", lambda d: self.login_error() or (
            not self.login_form() and d.get_cookie("cockpit")), 180)
        if self.login_error():
            raise Failed(f"Cockpit refused {user}: {self.login_error()}")
        # The page itself, as the shell's frame loads it.
        d.get(self.base + "/cockpit/@localhost/ntms/index.html")
        self.wait("the page connected to ntmsd", lambda d: self.css("#status[data-ready='1']") or
                  self.page_error() or self.login_form(), 180)
        if self.login_form():
            raise Failed("the page's address led back to the login form")
        if self.page_error():
            raise Failed("the page shows an error: " + self.page_error())
        self.wait("the library on the page", lambda d: self.css("article[data-library]"))

    def login_form(self):
        return [e for e in self.css("#login-user-input") if e.is_displayed()]

    def login_error(self):
        shown = [e.text for e in self.css("#login-error-message") if e.is_displayed() and e.text]
        return shown[0] if shown else ""

    def page_error(self):
        boxes = self.css("#error")
        if boxes and boxes[0].is_displayed():
            return boxes[0].text
        return ""

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def attr(self, selector, name):
        """An attribute of the first element matching selector, read in the page: None if none."""
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.getAttribute(arguments[1]) : null;", selector, name)

    def text(self, selector):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.innerText : null;", selector)

    def click(self, selector):
        """Clicks the element, found again if a redraw replaced it meanwhile."""
        for _ in range(10):
            try:
                found = self.css(selector)
                if not found:
                    raise Failed(f"nothing to click: {selector}")
                found[0].click()
                return
            except StaleElementReferenceException:
                time.sleep(0.2)
        raise Failed(f"{selector} kept being redrawn")


# The page redraws a library whenever it changes: read what it shows in one step, in the page.
LIBRARIES_JS = """
return Array.from(document.querySelectorAll("article[data-library]")).map(a => {
    const facts = {};
    a.querySelectorAll("dl.facts > div").forEach(d =>
        facts[d.querySelector("dt").textContent] = d.querySelector("dd").textContent);
    const slots = kind => Array.from(a.querySelectorAll("li.slot[data-kind='" + kind + "']"));
    const inject = a.querySelector("button[id^='inject-']");
    return { name: a.dataset.library, key: a.dataset.key, facts: facts,
             storage: slots("storage").length,
             full: slots("storage").filter(s => s.dataset.full === "1").length,
             ports: slots("port").length, drives: slots("drive").length,
             inject: inject ? !inject.disabled : null };
});
"""


def tgt_library(b):
    """What the page shows of tgt's library, the one with a port of 4 elements (a scsi_debug
    changer that an earlier check left may be listed too)."""
    libs = b.driver.execute_script(LIBRARIES_JS)
    found = [lib for lib in libs if lib["ports"] == 4]
    return found[0] if found else None


def check_login(b, diag):
    b.login(OPERATOR)
    # The slot map: every storage slot of the library, and as many full as the library says.
    lib = b.wait("tgt's library with its slot map", lambda d: tgt_library(b))
    b.key = lib["key"]
    facts = lib["facts"]
    diag(f"library {lib['name']}: {facts}; slot map {lib['storage']} storage ({lib['full']} full), "
         f"{lib['ports']} port, {lib['drives']} drive elements")
    b.shot("operator")
    if facts.get("State") != "online":
        raise Failed(f"library state {facts.get('State')!r}, not online")
    if facts.get("Full slots") != str(lib["full"]):
        raise Failed(f"the page says {facts.get('Full slots')} full slots, its slot map shows {lib['full']}")
    if lib["storage"] != 12 or lib["drives"] != 2:
        raise Failed("the slot map does not show tgt's 12 slots, 4 port and 2 drive elements")
    if not lib["inject"]:
        raise Failed("Inject is missing or disabled for the operator")
    return f"library {lib['name']} online, slot map {lib['full']}/{lib['storage']} full"


def check_inject(b, guest, diag):
    jobs_before = set(b.js("return Array.from(document.querySelectorAll('tr[data-job]'))"
                           ".map(r => r.dataset.job);"))
    b.click(f"button#inject-{b.key}")
    found = b.wait("a new inject job WAITING on the page", lambda d: b.js(
        "return Array.from(document.querySelectorAll(\"tr[data-job][data-state='WAITING']\"))"
        ".map(r => [r.dataset.job, r.dataset.path]).filter(r => !arguments[0].includes(r[0]));",
        list(jobs_before)) or b.page_error())
    if isinstance(found, str):
        raise Failed("Inject failed on the page: " + found)
    job, job_path = found[0]
    diag(f"job {job} WAITING")
    request_sel = f"li[data-request][data-job-path='{job_path}']"
    request = b.wait("the job's operator request", lambda d: b.attr(request_sel, "data-request"))
    diag("operator request: " + b.text(request_sel).splitlines()[0])
    # Stop inject is offered while the job runs.
    b.wait("Stop inject offered", lambda d: b.css(f"button#stop-{b.key}"), 30)
    b.shot("inject-waiting")
    guest.send(f"insert {PORT_ELEMENT} {BARCODE}")
    answer = guest.expect(("inserted", "failed"), 120)
    diag("guest: " + answer)
    if not answer.startswith("inserted"):
        raise Failed("the operator could not fill the port: " + answer)
    # tgt never reports its port closed: without Satisfy the job would wait for its timeout.
    b.click(f"button#satisfy-{request}")
    row = f"tr[data-job='{job}']"
    b.wait("the job PASSED on the page", lambda d: b.attr(row, "data-state") in (
        "PASSED", "FAILED", "STOPPED", "CANCELLED") or b.page_error(), 180)
    if b.page_error():
        raise Failed("the page shows an error after Satisfy: " + b.page_error())
    if b.attr(row, "data-state") != "PASSED":
        raise Failed("the job did not pass: " + (b.text(row) or "its row is gone"))
    slot_sel = f"article[data-key='{b.key}'] li.slot[data-kind='storage'][data-barcode='{BARCODE}']"
    address = b.wait(f"{BARCODE} in a storage slot of the slot map",
                     lambda d: b.attr(slot_sel, "data-element"))
    b.wait("the request no longer open", lambda d: not b.css(request_sel), 30)
    diag(f"job row: {b.text(row)!r}; {BARCODE} in storage slot {address}")
    b.shot("inject-passed")
    return f"job {job} PASSED, {BARCODE} in slot {address}"


def check_viewer(b, diag):
    # A narrow screen first, as the operator: one column, nothing cut off.
    b.driver.set_window_size(420, 1100)
    b.driver.refresh()
    b.wait("the page on a narrow screen", lambda d: b.css("article[data-library]"))
    width = b.driver.execute_script("return document.documentElement.scrollWidth")
    diag(f"narrow screen: page width {width} px in a 420 px window")
    b.shot("narrow")
    b.driver.set_window_size(1280, 1100)
    if width > 440:
        raise Failed(f"the page is {width} px wide in a 420 px window")

    b.login(VIEWER)
    reason = b.wait("the reason the actions are disabled", lambda d: "lack CONTROL" in (
        b.text(f"#reason-{b.key}") or "") and b.text(f"#reason-{b.key}"))
    disabled = {}
    for prefix in ["inject", "inventory", "door"]:
        button = f"button#{prefix}-{b.key}"
        if b.attr(button, "id") is None:
            raise Failed(f"no {prefix} button for the viewer")
        disabled[prefix] = b.attr(button, "disabled") is not None
        described = b.attr(button, "aria-describedby")
        if not described or not b.css(f"#{described}"):
            raise Failed(f"{prefix}: disabled without a reason named by aria-describedby")
    eject = b.js(f"return Array.from(document.querySelectorAll(\"button[id^='eject-{b.key}-']\"))"
                 ".map(e => e.disabled);")
    slot_map = b.wait("the slot map's refusal", lambda d: b.text(
        f"article[data-key='{b.key}'] .slots p.reason"))
    diag(f"reason: {reason!r}; disabled: {disabled}; eject buttons: {len(eject)}; {slot_map!r}")
    b.shot("viewer")
    if not all(disabled.values()):
        raise Failed(f"not every action is disabled for the viewer: {disabled}")
    if "ERROR_ACCESS_DENIED, 5" not in slot_map:
        raise Failed("the slot map's refusal does not name ERROR_ACCESS_DENIED (5): " + slot_map)
    if not all(eject):
        raise Failed("an Eject button is enabled for the viewer")
    return "Inject, Inventory, Door disabled with the reason; slot map refused with ERROR_ACCESS_DENIED (5)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="QEMU's unix socket of the guest's ttyS2")
    parser.add_argument("--port", required=True, type=int, help="host port forwarded to 9090")
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for the guest")
    args = parser.parse_args()
    # run-vm-test.sh ends this with SIGTERM when the guest is gone: quit Chromium on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))

    guest = Guest(args.socket, 60)
    guest.expect("ready", args.timeout)
    t0 = time.monotonic()
    browser = None
    failed_before = None
    try:
        for name in CHECKS:
            def diag(text, name=name):
                guest.send(f"diag {name} {text}")
            started = time.monotonic()
            try:
                if failed_before:
                    raise Failed(f"not tried: {failed_before}")
                if browser is None:
                    browser = Browser(f"https://127.0.0.1:{args.port}", args.logdir)
                if name == "login":
                    verdict = check_login(browser, diag)
                elif name == "inject":
                    verdict = check_inject(browser, guest, diag)
                else:
                    verdict = check_viewer(browser, diag)
                guest.send(f"result {name} ok {verdict} "
                           f"({time.monotonic() - started:.0f} s in the browser)")
            except (Failed, WebDriverException, TimeoutError, ConnectionError) as e:
                text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                if browser is not None:
                    try:
                        browser.shot(f"{name}-failed")
                    except WebDriverException:
                        pass
                guest.send(f"result {name} fail {text}")
                if name == "login" or isinstance(e, (TimeoutError, ConnectionError)):
                    failed_before = f"{name} failed"
        log(f"browser checks took {time.monotonic() - t0:.0f} s")
    finally:
        if browser is not None:
            browser.driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
