// Every string the tablet shows, one catalogue per language, and the
// formatters of the venue's zone. Markup carries keys (data-i18n), code
// calls t(); nothing visible is written in either.

const CATALOGUES = {
  en: {
    'app.title': 'Venue tablet',
    'login.title': 'Staff sign-in',
    'login.email': 'Email',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.wrong': 'Wrong email or password.',
    'login.failed': 'Sign-in failed.',
    'login.not_staff': 'This account is not staff of any venue.',
    'bar.venue': 'Venue',
    'bar.date': 'Date',
    'bar.language': 'Language',
    'bar.logout': 'Sign out',
    'view.timeline': 'Timeline',
    'view.list': 'Arrivals',
    'view.waitlist': 'Waitlist',
    'view.reports': 'Reports',
    'covers.booked': 'Booked',
    'covers.seated': 'Seated',
    'covers.remaining': 'To arrive',
    'covers.walk_ins': 'Walk-ins',
    'covers.unit': '{n} covers',
    'status.pending': 'Pending',
    'status.confirmed': 'Confirmed',
    'status.seated': 'Seated',
    'status.completed': 'Completed',
    'status.cancelled': 'Cancelled',
    'status.no_show': 'No-show',
    'status.hold': 'Held',
    'legend.title': 'Status',
    'service.all': 'All day',
    'service.label': 'Service {from}–{to}',
    'closed': 'Closed on this date.',
    'card.party': '{n} guests',
    'card.note': 'Note',
    'card.unnamed': 'Guest',
    'action.confirm': 'Confirm',
    'action.cancel': 'Cancel booking',
    'action.seat': 'Seat',
    'action.no-show': 'No-show',
    'action.complete': 'Complete',
    'action.move': 'Move table',
    'action.close': 'Close',
    'action.phone': 'Phone booking',
    'action.walk_in': 'Walk-in now',
    'action.save': 'Book',
    'details.time': '{from}–{to}',
    'details.guest': 'Guest',
    'details.phone': 'Phone',
    'details.channel': 'Channel',
    'details.history': 'History',
    'details.visits': '{n} visits',
    'details.no_shows': '{n} no-shows',
    'details.move_to': 'Move to',
    'channel.online': 'Online',
    'channel.phone': 'Phone',
    'channel.walk_in': 'Walk-in',
    'channel.staff': 'Staff',
    'list.time': 'Time',
    'list.guest': 'Guest',
    'list.phone': 'Phone',
    'list.party': 'Party',
    'list.table': 'Table',
    'list.status': 'Status',
    'list.notes': 'Notes',
    'list.tags': 'Tags',
    'list.history': 'History',
    'list.empty': 'No bookings on this date.',
    'tag.first_visit': 'First visit',
    'tag.regular': 'Regular',
    'tag.no_shows': 'Has no-shows',
    'waitlist.title': 'Waitlist',
    'waitlist.empty': 'Nobody is waiting on this date.',
    'waitlist.position': 'No. {n}',
    'waitlist.window': '{from}–{to}',
    'waitlist.offered': 'Offered {time}, {left} left',
    'waitlist.status.waiting': 'Waiting',
    'waitlist.status.offered': 'Offered',
    'waitlist.status.booked': 'Booked',
    'waitlist.status.missed': 'Missed',
    'waitlist.status.left': 'Left',
    'phone.title': 'Phone booking',
    'phone.name': 'Guest name',
    'phone.phone': 'Phone',
    'phone.start': 'Time',
    'phone.party': 'Party size',
    'phone.note': 'Note',
    'walk_in.party': 'Walk-in party size',
    'reports.title': 'Reports',
    'reports.from': 'From',
    'reports.to': 'To',
    'reports.show': 'Show',
    'reports.csv': 'Download CSV',
    'reports.covers': 'Covers',
    'reports.no_shows': 'No-shows',
    'reports.totals': 'Totals',
    'reports.bookings': 'Bookings',
    'reports.occupancy': 'Occupancy',
    'reports.no_show_rate': 'No-show rate',
    'banner.lost': 'Connection lost. Reconnecting...',
    'banner.back': 'Back online. Caught up.',
    'error.generic': 'Something went wrong: {message}',
  },
  'zh-CN': {
    'app.title': '门店平板',
    'login.title': '员工登录',
    'login.email': '邮箱',
    'login.password': '密码',
    'login.submit': '登录',
    'login.wrong': '邮箱或密码错误。',
    'login.failed': '登录失败。',
    'login.not_staff': '此账号不是任何门店的员工。',
    'bar.venue': '门店',
    'bar.date': '日期',
    'bar.language': '语言',
    'bar.logout': '退出',
    'view.timeline': '时间轴',
    'view.list': '到店列表',
    'view.waitlist': '候位',
    'view.reports': '报表',
    'covers.booked': '已预订',
    'covers.seated': '已入座',
    'covers.remaining': '待到店',
    'covers.walk_ins': '散客',
    'covers.unit': '{n} 位',
    'status.pending': '待确认',
    'status.confirmed': '已确认',
    'status.seated': '已入座',
    'status.completed': '已完成',
    'status.cancelled': '已取消',
    'status.no_show': '未到店',
    'status.hold': '保留中',
    'legend.title': '状态',
    'service.all': '全天',
    'service.label': '餐段 {from}–{to}',
    'closed': '当日不营业。',
    'card.party': '{n} 位',
    'card.note': '备注',
    'card.unnamed': '顾客',
    'action.confirm': '确认',
    'action.cancel': '取消预订',
    'action.seat': '入座',
    'action.no-show': '未到店',
    'action.complete': '完成',
    'action.move': '换桌',
    'action.close': '关闭',
    'action.phone': '电话预订',
    'action.walk_in': '散客入座',
    'action.save': '预订',
    'details.time': '{from}–{to}',
    'details.guest': '顾客',
    'details.phone': '电话',
    'details.channel': '渠道',
    'details.history': '记录',
    'details.visits': '到店 {n} 次',
    'details.no_shows': '爽约 {n} 次',
    'details.move_to': '换到',
    'channel.online': '线上',
    'channel.phone': '电话',
    'channel.walk_in': '散客',
    'channel.staff': '员工',
    'list.time': '时间',
    'list.guest': '顾客',
    'list.phone': '电话',
    'list.party': '人数',
    'list.table': '桌位',
    'list.status': '状态',
    'list.notes': '备注',
    'list.tags': '标签',
    'list.history': '记录',
    'list.empty': '当日没有预订。',
    'tag.first_visit': '首次到店',
    'tag.regular': '常客',
    'tag.no_shows': '有爽约',
    'waitlist.title': '候位',
    'waitlist.empty': '当日无人候位。',
    'waitlist.position': '第 {n} 位',
    'waitlist.window': '{from}–{to}',
    'waitlist.offered': '已为其保留 {time}，剩余 {left}',
    'waitlist.status.waiting': '等待中',
    'waitlist.status.offered': '已通知',
    'waitlist.status.booked': '已预订',
    'waitlist.status.missed': '已错过',
    'waitlist.status.left': '已离开',
    'phone.title': '电话预订',
    'phone.name': '顾客姓名',
    'phone.phone': '电话',
    'phone.start': '时间',
    'phone.party': '人数',
    'phone.note': '备注',
    'walk_in.party': '散客人数',
    'reports.title': '报表',
    'reports.from': '从',
    'reports.to': '到',
    'reports.show': '查看',
    'reports.csv': '下载 CSV',
    'reports.covers': '就餐人数',
    'reports.no_shows': '未到店',
    'reports.totals': '合计',
    'reports.bookings': '预订数',
    'reports.occupancy': '上座率',
    'reports.no_show_rate': '爽约率',
    'banner.lost': '连接已断开，正在重连……',
    'banner.back': '已恢复连接，数据已同步。',
    'error.generic': '出错了：{message}',
  },
};

export const LANGUAGES = [['en', 'English'], ['zh-CN', '简体中文']];

/** The saved choice, else the browser's language, else English. */
function initial() {
  const saved = localStorage.getItem('tablet.lang');
  if (saved && CATALOGUES[saved]) return saved;
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language];
  return wanted.some((l) => String(l).toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

let lang = initial();
const listeners = [];

export const language = () => lang;

/** Switches and remembers the language; everything re-renders. */
export function setLanguage(next) {
  if (!CATALOGUES[next]) return;
  lang = next;
  localStorage.setItem('tablet.lang', next);
  document.documentElement.lang = next;
  translateStatic();
  for (const f of listeners) f();
}

export const onLanguage = (f) => listeners.push(f);

/** The text of a key, with `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const text = CATALOGUES[lang][key] ?? CATALOGUES.en[key];
  if (text === undefined) throw new Error(`no string for ${key}`);
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Every key of a language (the tests compare catalogues). */
export const keys = (l = lang) => Object.keys(CATALOGUES[l]);

/** Fills the markup's data-i18n (text) and data-i18n-label (aria-label) keys. */
export function translateStatic(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  document.title = t('app.title');
}

// Formatters in the venue's zone and the current language.
let zone = 'UTC';
export const setZone = (z) => { zone = z; };

const locale = () => (lang === 'zh-CN' ? 'zh-CN' : 'en-GB');
export const time = (instant) => new Intl.DateTimeFormat(locale(), { timeZone: zone, hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(instant));
export const day = (date) => new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', month: 'numeric', day: 'numeric' }).format(new Date(`${date}T12:00:00Z`));
export const number = (n) => new Intl.NumberFormat(locale()).format(n);
export const percent = (x) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x);
export const todayIn = (tz) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
