// Finds elements as a user (or a screen reader) sees them: by ARIA role and accessible name.
// The function below runs inside the page (WebDriver "execute script"); it must be
// self-contained. It covers the explicit `role` attribute and the implicit roles of the native
// elements this app uses, and a simplified accessible-name computation (aria-labelledby,
// aria-label, <label for>/wrapping <label>, <legend>, <caption>, alt, then text content for
// roles named from their content). Hidden elements (display:none, visibility:hidden, [hidden],
// aria-hidden, a closed <dialog>) are skipped.

function queryByRole(role, name, opts, scope) {
  const o = opts || {};
  const root = scope || document;
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();

  function implicitRole(el) {
    const tag = el.localName;
    const type = (el.getAttribute('type') || '').toLowerCase();
    switch (tag) {
      case 'button': return 'button';
      case 'a': case 'area': return el.hasAttribute('href') ? 'link' : null;
      case 'input':
        if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
        if (type === 'checkbox') return 'checkbox';
        if (type === 'radio') return 'radio';
        if (type === 'range') return 'slider';
        if (type === 'number') return 'spinbutton';
        if (type === 'search') return el.hasAttribute('list') ? 'combobox' : 'searchbox';
        if (['', 'text', 'email', 'tel', 'url'].includes(type)) return el.hasAttribute('list') ? 'combobox' : 'textbox';
        return null;
      case 'textarea': return 'textbox';
      case 'select': return (el.multiple || el.size > 1) ? 'listbox' : 'combobox';
      case 'option': return 'option';
      case 'dialog': return 'dialog';
      case 'table': return 'table';
      case 'tr': return 'row';
      case 'td': return 'cell';
      case 'th': return el.getAttribute('scope') === 'row' ? 'rowheader' : 'columnheader';
      case 'thead': case 'tbody': case 'tfoot': return 'rowgroup';
      case 'h1': case 'h2': case 'h3': case 'h4': case 'h5': case 'h6': return 'heading';
      case 'progress': return 'progressbar';
      case 'meter': return 'meter';
      case 'nav': return 'navigation';
      case 'main': return 'main';
      case 'header': return el.closest('article,aside,main,nav,section') ? null : 'banner';
      case 'footer': return el.closest('article,aside,main,nav,section') ? null : 'contentinfo';
      case 'aside': return 'complementary';
      case 'section': return (el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby')) ? 'region' : null;
      case 'form': return (el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby')) ? 'form' : null;
      case 'fieldset': return 'group';
      case 'ul': case 'ol': case 'menu': return 'list';
      case 'li': return 'listitem';
      case 'img': return el.getAttribute('alt') === '' ? 'presentation' : 'img';
      case 'output': return 'status';
      case 'hr': return 'separator';
      case 'article': return 'article';
      default: return null;
    }
  }

  function roleOf(el) {
    const explicit = norm(el.getAttribute('role')).split(' ')[0];
    return explicit || implicitRole(el);
  }

  function hidden(el) {
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      if (n.hidden || n.getAttribute('aria-hidden') === 'true' || n.inert) return true;
      if (n.localName === 'dialog' && !n.open) return true;
      const cs = getComputedStyle(n);
      if (cs.display === 'none') return true;
      if (n === el && cs.visibility === 'hidden') return true;
    }
    return false;
  }

  const NAME_FROM_CONTENT = new Set(['button', 'link', 'heading', 'cell', 'gridcell', 'columnheader', 'rowheader',
    'row', 'option', 'checkbox', 'radio', 'switch', 'tab', 'menuitem', 'menuitemcheckbox',
    'menuitemradio', 'treeitem', 'tooltip', 'listitem', 'status', 'alert']);

  function textOf(el) {
    // Visible text, including the names of labelled controls inside (e.g. an icon button).
    let out = '';
    for (const n of el.childNodes) {
      if (n.nodeType === 3) out += n.nodeValue;
      else if (n.nodeType === 1) {
        if (n.getAttribute('aria-hidden') === 'true' || n.hidden) continue;
        if (n.hasAttribute('aria-label')) out += ' ' + n.getAttribute('aria-label') + ' ';
        else if (n.localName === 'img') out += ' ' + (n.getAttribute('alt') || '') + ' ';
        else if (['input', 'select', 'textarea'].includes(n.localName)) out += ' ';
        else out += ' ' + textOf(n) + ' ';
      }
    }
    return out;
  }

  function nameOf(el, role) {
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const parts = by.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean);
      if (parts.length) return norm(parts.map((p) => p.getAttribute('aria-label') || textOf(p)).join(' '));
    }
    const label = el.getAttribute('aria-label');
    if (label && norm(label)) return norm(label);
    if (el.labels && el.labels.length) return norm(Array.from(el.labels).map((l) => textOf(l)).join(' '));
    if (el.localName === 'fieldset') {
      const legend = el.querySelector(':scope > legend');
      if (legend) return norm(textOf(legend));
    }
    if (el.localName === 'table') {
      const caption = el.querySelector(':scope > caption');
      if (caption) return norm(textOf(caption));
    }
    if (el.localName === 'img' || (el.localName === 'input' && el.type === 'image')) return norm(el.getAttribute('alt'));
    if (el.localName === 'input' && ['button', 'submit', 'reset'].includes(el.type)) return norm(el.value);
    if (NAME_FROM_CONTENT.has(role)) {
      const t = norm(textOf(el));
      if (t) return t;
    }
    return norm(el.getAttribute('title') || el.getAttribute('placeholder') || '');
  }

  function matches(actual, want, exact) {
    if (want === null || want === undefined) return true;
    if (typeof want === 'object' && want.regex) return new RegExp(want.regex, want.flags || '').test(actual);
    if (exact === false) return actual.toLowerCase().includes(String(want).toLowerCase());
    return actual === norm(String(want));
  }

  function search(scopeEl, r0, want, exact) {
    const out = [];
    for (const el of scopeEl.querySelectorAll('*')) {
      const r = roleOf(el);
      if (!r) continue;
      if (!o.includeHidden && hidden(el)) continue;
      if (r0 === '*') {
        out.push({ role: r, name: nameOf(el, r) });
        continue;
      }
      if (r !== r0) continue;
      if (matches(nameOf(el, r), want, exact)) out.push(el);
    }
    return out;
  }

  if (role === '*') return search(root, '*');
  // `o.path`: containers to go through first, each [role, name] (e.g. a table, then a row), all
  // resolved in this one call so a re-rendered container cannot leave a stale scope behind.
  let scopes = [root];
  for (const [r, n] of o.path || []) {
    const next = [];
    for (const s of scopes) next.push(...search(s, r, n, true));
    scopes = next;
  }
  const found = [];
  for (const s of scopes) for (const el of search(s, role, name, o.exact)) if (!found.includes(el)) found.push(el);
  // What the test will read, taken in the same call (an element re-rendered afterwards would
  // read as empty, not fail).
  return found.map((el) => ({
    el,
    name: nameOf(el, role),
    text: norm(el.innerText !== undefined ? el.innerText : el.textContent),
    value: 'value' in el ? String(el.value) : null,
    selected: el.localName === 'select' && el.selectedOptions[0] ? norm(el.selectedOptions[0].label) : null,
    checked: 'checked' in el ? !!el.checked : null,
    attrs: Object.fromEntries((o.attrs || []).map((a) => [a, el.getAttribute(a)])),
  }));
}

/**
 * The in-page script: `arguments` = [role, name, opts, scopeElement|null]; opts: {exact, path,
 * attrs}. Returns [{el, name, text, value, selected, checked, attrs}].
 */
export const BY_ROLE_SCRIPT = `${queryByRole.toString()}\nreturn queryByRole(arguments[0], arguments[1], arguments[2], arguments[3]);`;

/** Lists every visible element that has a role, with its name: for failure reports. */
export const ROLE_SNAPSHOT_SCRIPT = `${queryByRole.toString()}\nreturn queryByRole('*', null, {}, arguments[0]);`;
