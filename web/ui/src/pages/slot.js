// A page whose API is not there yet: a clearly marked placeholder, so that the navigation of
// each role is already what it will be. Replaced by the page's own module (src/nav.js).
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';

export function render(root, ctx, page) {
  mount(root, h('section', { class: 'slot', 'data-slot': page.id },
    h('h1', {}, t('nav.' + page.id)),
    h('div', { class: 'slot-box' }, h('p', {}, t('slot.coming')), h('p', { class: 'muted' }, t('slot.' + page.id)))));
}
