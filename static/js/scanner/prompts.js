// The door's prompts beside the verdict: the "this ticket is for {day}" box (online and offline
// answers use it), the notice line for synced scans, and the name search's note that it needs
// the connection. The texts come from the page's strings.

/**
 * Return the Admit / Don't admit buttons under a "This ticket is for {day}" verdict: `ask(admit)`
 * shows them (admit() runs on "Admit"), `close()` hides them (a new scan, or "Don't admit").
 * els: box, admit, refuse (buttons); onDone(): either was pressed. The focus stays where it is:
 * a keyboard-wedge scanner's next Enter must never press "Admit" for the guest before.
 */
export function createDayConfirm({ box, admit, refuse }, { onDone = () => {} } = {}) {
  let pending = null;
  function close() {
    pending = null;
    box.hidden = true;
  }
  admit.addEventListener("click", () => {
    const yes = pending;
    close();
    if (yes) yes();
    onDone();
  });
  refuse.addEventListener("click", () => {
    close();
    onDone();
  });
  return {
    ask(onAdmit) {
      pending = onAdmit;
      box.hidden = false;
    },
    close,
    isOpen: () => pending !== null,
  };
}

/** Return the notice line: `say(text)` shows it for a while without touching the verdict. */
export function createNotice(element, { ms = 30000 } = {}) {
  let timer = null;
  return {
    say(text) {
      clearTimeout(timer);
      element.textContent = text;
      element.hidden = false;
      timer = setTimeout(() => {
        element.hidden = true;
      }, ms);
    },
  };
}

/**
 * Show in the search's status line that name search needs the connection: with a link to the
 * printed door list (printUrl: staff who may open it), else "ask the organisers".
 */
export function showSearchOffline({ status, list, strings, printUrl }) {
  list.replaceChildren();
  if (!printUrl) {
    status.textContent = strings.search_offline_door;
    return;
  }
  const [before, after = ""] = strings.search_offline.split("{link}");
  const link = document.createElement("a");
  link.href = printUrl;
  link.textContent = strings.print_list;
  status.replaceChildren(before, link, after);
}
