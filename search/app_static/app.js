// The page script, run by each gr.HTML result box with ``element`` bound to the box (js_on_load):
// clicking a [data-copy] button copies its text; clicking a [n] citation opens and shows its clause;
// clicking a cited law (a.cite-link) opens it in the documents tab (through the hidden #open-doc box).
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.cite-link');
  if (link) {
    event.preventDefault();
    const box = document.querySelector('#open-doc textarea, #open-doc input');
    const button = document.querySelector('#open-doc-btn');
    if (box && button) {
      box.value = link.dataset.doc + '\n' + (link.dataset.clause || '');
      box.dispatchEvent(new Event('input', {bubbles: true}));
      setTimeout(() => button.click(), 50);
    }
    return;
  }
  const ref = event.target.closest('a[data-cite]');
  if (ref) {
    event.preventDefault();
    const target = element.querySelector('#' + ref.dataset.cite);
    if (target) { target.open = true; target.scrollIntoView({block: 'nearest', behavior: 'smooth'}); }
    return;
  }
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const text = button.getAttribute('data-copy');
  const done = () => {
    const label = button.textContent;
    button.textContent = '已复制 ✓';
    setTimeout(() => { button.textContent = label; }, 1200);
  };
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); done(); } finally { area.remove(); }
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else {
    fallback();
  }
});
