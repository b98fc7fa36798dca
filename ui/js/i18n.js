// i18n.js: the page's words in Korean and English.  The language is the
// one chosen with the switch (kept in localStorage: a preference, not a
// secret), else the browser's Accept-Language order (navigator.languages).
// API problems are shown by their stable `code`, in these words, with the
// server's English detail beside them.
const en = {
  'app.title': 'grantd dashboard', skip: 'Skip to content', loading: 'Loading…',
  'nav.label': 'Views', 'nav.calendar': 'Capacity calendar', 'nav.fairness': 'Phase fairness',
  'nav.team': 'Team', 'nav.vouchers': 'Vouchers', 'nav.audit': 'Audit',
  'lang.label': 'Language', signout: 'Sign out', signedout: 'Signed out.',
  'who.staff': 'Operator token', 'who.team': 'Team {team}', zone: 'Times in {zone} ({label})',
  'live.changes': '{n} new since shown — refresh', 'live.stale': 'What this view shows has changed.',
  'signin.title': 'Sign in', 'signin.token': 'API token',
  'signin.help': 'Paste a grantd API token (admin, auditor or team). It is kept in this tab only and forgotten when the tab closes or you sign out.',
  'signin.submit': 'Sign in',
  'problem.bad_request': 'The request was not valid', 'problem.unauthorized': 'The token is not accepted',
  'problem.forbidden': 'This token may not see that', 'problem.not_found': 'Not found',
  'problem.method_not_allowed': 'Not allowed', 'problem.conflict': 'Conflict',
  'problem.already_exists': 'Already exists', 'problem.capacity_exceeded': 'Capacity exceeded',
  'problem.no_capacity': 'No capacity', 'problem.fairness_violation': 'Breaks a fairness rule',
  'problem.insufficient_funds': 'Insufficient voucher funds', 'problem.related_party': 'Related party',
  'problem.invalid_state': 'Not possible in this state', 'problem.payload_too_large': 'Request too large',
  'problem.unsupported_media_type': 'Unsupported media type', 'problem.idempotency_key_reused': 'Idempotency key reused',
  'problem.internal': 'Internal error', 'problem.unavailable': 'grantd is unavailable',
  'problem.network': 'grantd cannot be reached', 'problem.other': 'Unexpected answer',
  'problem.rate_limited': 'Too many requests; try again later',
  all: 'All', close: 'Close', 'fair.days': 'Days', amount: 'Amount', available: 'available', cards: 'Cards', created: 'Created', credit: 'Credit',
  days: 'days', ndays: '{n} days', debit: 'Debit', end: 'End', expires: 'Expires', filter: 'Apply', hold: 'Hold', kind: 'Kind',
  legend: 'Legend', memo: 'Memo', more: 'More', none: 'None.', nophase: 'No phase yet.', now: 'now',
  phase: 'Phase', pool: 'Pool', reason: 'Reason', ref: 'Ref', start: 'Start', state: 'State',
  supplier: 'Supplier', team: 'Team', total: 'Total', transfer: 'Transfer', units: 'Units', when: 'When', window: 'Window',
  'zoom.year': 'Year', 'zoom.quarter': 'Quarter', 'zoom.month': 'Month', 'zoom.week': 'Week', 'zoom.day': 'Day',
  'cal.zoom': 'Zoom', 'cal.prev': '◀ Earlier', 'cal.next': 'Later ▶', 'cal.today': 'Today',
  'cal.zoom_in': 'Zoom in', 'cal.zoom_out': 'Zoom out', 'cal.controls': 'Calendar controls',
  'cal.help': 'Each pool: grants stacked by cards and coloured by team, outages hatched, free cards as the green band below. Tab to a grant or an outage and press Enter (or click it) for its details.',
  'cal.details': 'Details', 'cal.details_none': 'Choose a grant or an outage.',
  'cal.grant': 'Grant', 'cal.outage': 'Outage', 'cal.free': 'Free cards', 'cal.planned_end': 'Planned end',
  'cal.chart': 'Calendar of pool {pool}, {cards} cards',
  'cal.grant_label': 'Grant {id}: {team}, {cards} cards, {start} to {end}',
  'cal.bar_label': '{team} · {cards}',
  'cal.outage_label': 'Outage: {cards} cards out of service, {start} to {end}: {reason}',
  'cal.free_label': '{free} of {capacity} cards free, {start} to {end}',
  'cal.pool_sub': '{provider}, {site} · {cards} {model}',
  'grantkind.placed': 'placed', 'grantkind.manual': 'manual', 'grantkind.compensation': 'make-up', 'grantkind.extension': 'extension',
  'state.active': 'active', 'state.eliminated': 'eliminated', 'state.withdrawn': 'withdrawn', 'state.completed': 'completed',
  'rule.equal_period': 'Equal period', 'rule.equal_resource': 'Equal resource', 'rule.equal_delivery': 'Equal delivery',
  'metric.entitled_unit_hours': 'Entitled', 'metric.delivered_unit_hours': 'Delivered', 'metric.lost_unit_hours': 'Lost',
  'metric.used_unit_hours': 'Used', 'metric.utilization': 'Utilization', 'metric.owed': 'Owed',
  'fair.holds': 'holds', 'fair.broken': 'broken', 'fair.verdict_fair': 'Verdict: fair', 'fair.verdict_unfair': 'Verdict: not fair',
  'fair.at_label': 'Figures up to', 'fair.period': 'Period', 'fair.package': 'Package', 'fair.jain': "Jain's index (delivered)",
  'fair.maxdev': 'Largest deviation', 'fair.common_day': 'Common day', 'fair.audit_seq': 'Audit entry',
  'fair.digest': 'Digest', 'fair.signature': 'Signed with', 'fair.json': 'Download JSON', 'fair.csv': 'Download CSV',
  'fair.print': 'Print', 'fair.windows': 'Windows', 'fair.at': 'report',
  'fair.windows_help': 'Every team on one time axis: a team that joined late is shifted, with the same number of days. Make-up grants are the outlined marks after a window.',
  'fair.windows_alt': 'Windows of {n} teams, each {days} days, on one time axis',
  'fair.window_label': '{team}: {start} to {end}, {days} days',
  'fair.makeup_label': 'Make-up {id}: {cards} cards, {start} to {end}',
  'fair.unit_hours': 'Unit-hours', 'fair.bars_alt': 'Entitled, delivered, lost and used unit-hours of each team; the table below gives the numbers',
  'fair.table': 'Unit-hours and rules by team', 'fair.makeups': 'Make-ups', 'fair.for': 'For',
  'fair.outage_reason': 'outage {id} of {start}: {reason}', 'fair.overrides': 'Overrides', 'fair.breaks': 'Breaks',
  'fair.no_teams': 'No team has a window in this phase yet.', 'fair.none': 'None.', 'fair.rule': 'Rule', 'fair.action': 'Change', 'fair.detail': 'Detail',
  'team.none': 'No team.', 'team.not_enrolled': 'This team is in no phase.', 'team.window': 'Window',
  'team.days': '{days} days: {elapsed} gone, {left} left', 'team.progress': 'Days of the window gone',
  'team.days_left': 'Days left', 'team.evaluation': 'Evaluation', 'team.ended': 'Ended',
  'team.idle': 'Idle flag', 'team.idle_yes': 'Flagged idle', 'team.idle_no': 'Not idle', 'team.idle_since': 'Since {since}',
  'team.voucher': 'Voucher', 'team.cards': 'Cards by pool (in force now)', 'team.model': 'Card model',
  'team.no_cards': 'No cards in force now.', 'team.quota': 'Quota (unit-hours up to now)',
  'team.util_time': 'Utilization week by week', 'team.util_alt': 'Utilization by week: {list}',
  'team.holds': 'Holds and settlements', 'team.journal': 'Voucher journal',
  'team.summary': 'Every team of {phase}', 'team.summary_own': '(this team)',
  'team.summary_help': 'Each team’s window, in the programme’s dates, and the unit-hours delivered to it so far. No money and no usage: the programme shows teams this much of each other.',
  'uh.entitled': 'Entitled', 'uh.granted': 'Granted', 'uh.delivered': 'Delivered', 'uh.lost': 'Lost', 'uh.owed': 'Owed',
  'uh.used': 'Used', 'uh.flagged': 'Flagged',
  'money.budget': 'Budget', 'money.held': 'Held', 'money.settled': 'Settled', 'money.refunded': 'Refunded',
  'money.returned': 'Returned', 'money.available': 'Available',
  'holdstate.pending': 'pending', 'holdstate.settled': 'settled', 'holdstate.voided': 'voided', 'holdstate.expired': 'expired',
  'trkind.open': 'open', 'trkind.hold': 'hold', 'trkind.settle': 'settle', 'trkind.void': 'void', 'trkind.expire': 'expire',
  'trkind.refund': 'refund', 'trkind.return': 'return', 'vstate.open': 'open', 'vstate.closed': 'closed',
  'vouchers.verify': 'Ledger', 'vouchers.verify_ok': 'Verified: {accounts} accounts and {transfers} transfers balance',
  'vouchers.verify_bad': 'The ledger does not verify', 'vouchers.balances': 'Every team’s voucher',
  'vouchers.journal': 'Journal', 'vouchers.journal_caption': '{n} transfers, oldest first',
  'audit.chain': 'Hash chain', 'audit.chain_ok': 'Intact: {n} entries', 'audit.chain_bad': 'The chain is broken',
  'audit.head': 'Head', 'audit.chain_help': 'The chain alone does not catch a trail cut short; grantd audit verify checks the signed checkpoints too.',
  'audit.trail': 'Trail, newest first', 'audit.actor': 'Actor', 'audit.action': 'Action', 'audit.target': 'Target',
  'audit.from': 'From (date)', 'audit.to': 'To (date)', 'audit.older': 'Read older entries', 'audit.detail': 'Detail',
  'audit.show': 'show', 'audit.reach': 'Filters look at the newest {n} entries (from #{seq}); {shown} shown.',
  'audit.cut': 'Only the newest {shown} of the {n} entries that match are shown: narrow the filters to see the others.',
};

const ko = {
  'app.title': 'grantd 대시보드', skip: '본문 바로가기', loading: '불러오는 중…',
  'nav.label': '화면', 'nav.calendar': '자원 달력', 'nav.fairness': '단계 공정성',
  'nav.team': '팀', 'nav.vouchers': '바우처', 'nav.audit': '감사 기록',
  'lang.label': '언어', signout: '로그아웃', signedout: '로그아웃했습니다.',
  'who.staff': '운영자 토큰', 'who.team': '{team} 팀', zone: '시각은 {zone} ({label}) 기준',
  'live.changes': '표시 후 {n}건 변경 — 새로 고침', 'live.stale': '이 화면의 내용이 바뀌었습니다.',
  'signin.title': '로그인', 'signin.token': 'API 토큰',
  'signin.help': 'grantd API 토큰(관리자, 감사자 또는 팀)을 붙여 넣으십시오. 토큰은 이 탭에만 보관되며 탭을 닫거나 로그아웃하면 지워집니다.',
  'signin.submit': '로그인',
  'problem.bad_request': '요청이 올바르지 않습니다', 'problem.unauthorized': '토큰이 승인되지 않았습니다',
  'problem.forbidden': '이 토큰으로는 볼 수 없습니다', 'problem.not_found': '찾을 수 없습니다',
  'problem.method_not_allowed': '허용되지 않는 요청입니다', 'problem.conflict': '충돌이 있습니다',
  'problem.already_exists': '이미 있습니다', 'problem.capacity_exceeded': '용량을 넘습니다',
  'problem.no_capacity': '용량이 없습니다', 'problem.fairness_violation': '공정성 규칙에 어긋납니다',
  'problem.insufficient_funds': '바우처 잔액이 부족합니다', 'problem.related_party': '특수관계자입니다',
  'problem.invalid_state': '이 상태에서는 할 수 없습니다', 'problem.payload_too_large': '요청이 너무 큽니다',
  'problem.unsupported_media_type': '지원하지 않는 형식입니다', 'problem.idempotency_key_reused': '멱등 키가 재사용되었습니다',
  'problem.internal': '내부 오류', 'problem.unavailable': 'grantd를 사용할 수 없습니다',
  'problem.network': 'grantd에 연결할 수 없습니다', 'problem.other': '예상하지 못한 응답',
  'problem.rate_limited': '요청이 너무 많습니다. 잠시 후 다시 시도하십시오',
  all: '전체', close: '닫기', 'fair.days': '일수', amount: '금액', available: '사용 가능', cards: '카드', created: '생성', credit: '대변',
  days: '일', ndays: '{n}일', debit: '차변', end: '종료', expires: '만료', filter: '적용', hold: '예약', kind: '종류',
  legend: '범례', memo: '메모', more: '더 보기', none: '없음.', nophase: '아직 단계가 없습니다.', now: '현재',
  phase: '단계', pool: '풀', reason: '사유', ref: '참조', start: '시작', state: '상태',
  supplier: '공급기업', team: '팀', total: '합계', transfer: '이체', units: '단위', when: '시각', window: '기간',
  'zoom.year': '연', 'zoom.quarter': '분기', 'zoom.month': '월', 'zoom.week': '주', 'zoom.day': '일',
  'cal.zoom': '확대', 'cal.prev': '◀ 이전', 'cal.next': '다음 ▶', 'cal.today': '오늘',
  'cal.zoom_in': '확대', 'cal.zoom_out': '축소', 'cal.controls': '달력 조작',
  'cal.help': '풀마다 카드 수만큼 쌓은 할당을 팀별 색으로, 장애는 빗금으로, 남는 카드는 아래 초록 띠로 보입니다. 할당이나 장애로 Tab 이동 후 Enter(또는 클릭)로 상세를 봅니다.',
  'cal.details': '상세', 'cal.details_none': '할당이나 장애를 고르십시오.',
  'cal.grant': '할당', 'cal.outage': '장애', 'cal.free': '남는 카드', 'cal.planned_end': '예정 종료',
  'cal.chart': '{pool} 풀 달력, 카드 {cards}장',
  'cal.grant_label': '할당 {id}: {team}, 카드 {cards}장, {start}부터 {end}까지',
  'cal.bar_label': '{team} · 카드 {cards}장',
  'cal.outage_label': '장애: 카드 {cards}장 중단, {start}부터 {end}까지: {reason}',
  'cal.free_label': '카드 {capacity}장 중 {free}장 남음, {start}부터 {end}까지',
  'cal.pool_sub': '{provider}, {site} · {model} {cards}장',
  'grantkind.placed': '배치', 'grantkind.manual': '수동', 'grantkind.compensation': '보상', 'grantkind.extension': '연장',
  'state.active': '진행', 'state.eliminated': '탈락', 'state.withdrawn': '철회', 'state.completed': '완료',
  'rule.equal_period': '동일 기간', 'rule.equal_resource': '동일 자원', 'rule.equal_delivery': '동일 제공',
  'metric.entitled_unit_hours': '권리', 'metric.delivered_unit_hours': '제공', 'metric.lost_unit_hours': '손실',
  'metric.used_unit_hours': '사용', 'metric.utilization': '활용률', 'metric.owed': '미보상',
  'fair.holds': '충족', 'fair.broken': '위반', 'fair.verdict_fair': '판정: 공정', 'fair.verdict_unfair': '판정: 불공정',
  'fair.at_label': '집계 시각', 'fair.period': '기간', 'fair.package': '지원 묶음', 'fair.jain': 'Jain 지수(제공)',
  'fair.maxdev': '최대 편차', 'fair.common_day': '공통 일차', 'fair.audit_seq': '감사 기록 번호',
  'fair.digest': '요약값', 'fair.signature': '서명', 'fair.json': 'JSON 내려받기', 'fair.csv': 'CSV 내려받기',
  'fair.print': '인쇄', 'fair.windows': '팀별 기간', 'fair.at': '보고서',
  'fair.windows_help': '모든 팀을 한 시간축에 놓았습니다. 늦게 합류한 팀은 같은 일수로 뒤로 밀려 있습니다. 기간 뒤의 테두리 표시는 보상 할당입니다.',
  'fair.windows_alt': '{n}개 팀의 기간, 각 {days}일, 한 시간축',
  'fair.window_label': '{team}: {start}부터 {end}까지, {days}일',
  'fair.makeup_label': '보상 {id}: 카드 {cards}장, {start}부터 {end}까지',
  'fair.unit_hours': '단위시간', 'fair.bars_alt': '팀별 권리, 제공, 손실, 사용 단위시간; 수치는 아래 표에 있습니다',
  'fair.table': '팀별 단위시간과 규칙', 'fair.makeups': '보상 할당', 'fair.for': '사유',
  'fair.outage_reason': '{start} 장애 {id}: {reason}', 'fair.overrides': '예외 승인', 'fair.breaks': '위반 내역',
  'fair.no_teams': '이 단계에 기간이 있는 팀이 아직 없습니다.', 'fair.none': '없음.', 'fair.rule': '규칙', 'fair.action': '변경', 'fair.detail': '상세',
  'team.none': '팀이 없습니다.', 'team.not_enrolled': '이 팀은 어느 단계에도 없습니다.', 'team.window': '기간',
  'team.days': '{days}일: {elapsed}일 지남, {left}일 남음', 'team.progress': '지난 일수',
  'team.days_left': '남은 일수', 'team.evaluation': '평가일', 'team.ended': '종료',
  'team.idle': '유휴 표시', 'team.idle_yes': '유휴로 표시됨', 'team.idle_no': '유휴 아님', 'team.idle_since': '{since}부터',
  'team.voucher': '바우처', 'team.cards': '풀별 카드(현재)', 'team.model': '카드 모델',
  'team.no_cards': '현재 할당된 카드가 없습니다.', 'team.quota': '할당량(현재까지 단위시간)',
  'team.util_time': '주별 활용률', 'team.util_alt': '주별 활용률: {list}',
  'team.holds': '예약과 정산', 'team.journal': '바우처 원장',
  'team.summary': '{phase}의 모든 팀', 'team.summary_own': '(이 팀)',
  'team.summary_help': '팀마다 사업 날짜로 본 기간과 지금까지 제공된 단위시간입니다. 금액과 사용량은 없습니다: 사업이 팀끼리 볼 수 있게 한 만큼입니다.',
  'uh.entitled': '권리', 'uh.granted': '할당', 'uh.delivered': '제공', 'uh.lost': '손실', 'uh.owed': '미보상',
  'uh.used': '사용', 'uh.flagged': '표시됨',
  'money.budget': '예산', 'money.held': '예약', 'money.settled': '정산', 'money.refunded': '환급',
  'money.returned': '반납', 'money.available': '사용 가능',
  'holdstate.pending': '대기', 'holdstate.settled': '정산됨', 'holdstate.voided': '취소됨', 'holdstate.expired': '만료됨',
  'trkind.open': '개설', 'trkind.hold': '예약', 'trkind.settle': '정산', 'trkind.void': '취소', 'trkind.expire': '만료',
  'trkind.refund': '환급', 'trkind.return': '반납', 'vstate.open': '열림', 'vstate.closed': '닫힘',
  'vouchers.verify': '원장 검증', 'vouchers.verify_ok': '검증됨: 계정 {accounts}개, 이체 {transfers}건이 맞습니다',
  'vouchers.verify_bad': '원장이 맞지 않습니다', 'vouchers.balances': '팀별 바우처',
  'vouchers.journal': '원장', 'vouchers.journal_caption': '이체 {n}건, 오래된 순',
  'audit.chain': '해시 체인', 'audit.chain_ok': '온전함: {n}건', 'audit.chain_bad': '체인이 끊어졌습니다',
  'audit.head': '최신 해시', 'audit.chain_help': '체인만으로는 잘려 나간 기록을 잡지 못합니다. grantd audit verify가 서명된 체크포인트까지 확인합니다.',
  'audit.trail': '기록, 최신 순', 'audit.actor': '행위자', 'audit.action': '행위', 'audit.target': '대상',
  'audit.from': '시작일', 'audit.to': '종료일', 'audit.older': '이전 기록 읽기', 'audit.detail': '상세',
  'audit.show': '보기', 'audit.reach': '최신 {n}건(#{seq}부터)에서 찾습니다; {shown}건 표시.',
  'audit.cut': '조건에 맞는 {n}건 중 최신 {shown}건만 표시합니다. 나머지를 보려면 조건을 좁히십시오.',
};

const dicts = { en, ko };
let current = 'en';

function preferred() {
  try {
    const saved = localStorage.getItem('grantd.lang');
    if (saved && dicts[saved]) return saved;
  } catch {
    /* storage may be off */
  }
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = l.toLowerCase().split('-')[0];
    if (dicts[base]) return base;
  }
  return 'en';
}

export function lang() {
  return current || preferred();
}

export function t(key, vars) {
  const s = dicts[current][key] ?? en[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] !== undefined ? String(vars[k]) : `{${k}}`)) : s;
}

export function problemText(code) {
  const k = `problem.${code}`;
  return en[k] ? t(k) : t('problem.other');
}

// The static parts of the page (data-i18n, data-i18n-aria) in the language.
export function translatePage() {
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === current));
}

export function setLang(l, remember = true) {
  current = dicts[l] ? l : 'en';
  if (remember && l !== preferred()) {
    try {
      localStorage.setItem('grantd.lang', current);
    } catch {
      /* storage may be off */
    }
  }
  translatePage();
}

current = preferred();
