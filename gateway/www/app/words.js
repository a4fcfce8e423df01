// The Chinese words the pages show for the protocol's wire names (protocol/README.md,
// "Enumerations" and "Error codes").

export const STATE = {
  reported: '上报', triaged: '受理', dispatched: '派单', signed: '签收', in_progress: '办理',
  resolved: '反馈', closed: '办结', escalation_requested: '吹哨申请', whistle_blown: '待应哨',
  return_requested: '退单', reopened: '重办', rejected: '不予受理', duplicate: '重复件',
};

export const ACTION = {
  report: '上报', triage: '受理', dispatch: '派单', sign: '签收', start: '办理', resolve: '反馈',
  escalate: '上报上级', propose_whistle: '吹哨申请', approve_whistle: '吹哨', decline_whistle: '不予吹哨',
  report_in: '报到', feedback: '部门反馈', rate: '评哨', close: '办结', reopen: '重办', return: '退单',
  reject: '不予受理', mark_duplicate: '重复件', remind: '催办', supervise: '督办',
};

export const DIRECTIVE_ACTION = { issue: '下达', sign: '签收', complete: '完成', remind: '催办' };

export const KIND = {
  city: '市', county: '县区', township: '乡镇(街道)', village: '村(社区)', grid: '网格',
  department: '县区部门', centre: '社会治理中心',
};

export const POST = {
  grid_head: '网格长', grid_fulltime: '专职网格员', grid_parttime: '兼职网格员',
  grid_instructor: '网格指导员', village_secretary: '党支部书记(主任)', village_discipline: '纪检(组织)委员',
  village_publicity: '宣统委员', village_security: '综治主任', village_environment: '环保主任',
  village_property: '物业主任', village_grid_affairs: '网格事务长', township_head: '乡镇长/街道办主任',
  township_module_head: '模块负责人', township_operator: '社会治理室', department_head: '部门负责人',
  department_staff: '部门工作人员', county_leader: '县区领导', centre_operator: '社会治理中心',
  city_leader: '市领导', hotline_operator: '12345热线',
};

export const COLOUR = { green: '正常', yellow: '黄牌', red: '红牌' };

// Error codes: what went wrong, for people (the hub's own sentence follows in the page).
export const ERROR = {
  1: '消息格式错误', 2: '内容过长', 3: '消息格式错误', 4: '未知消息', 5: '缺少必填项', 6: '字段类型错误',
  7: '取值超出范围', 8: '含有未知字段', 20: '未登录', 21: '无权执行此操作', 22: '单位不存在',
  23: '案件不存在', 24: '指令不存在', 25: '当前状态下不能执行此操作', 26: '参数不被接受',
  30: '操作过于频繁，请稍后再试', 31: '消息积压，正在恢复', 32: '系统繁忙，请重试',
  33: '系统已切换，暂停写入', 99: '系统内部错误',
};

/// One line for an error reply: the Chinese sense, then the hub's reason.
export function errorText(e) {
  const sense = ERROR[e.code] ?? `错误 ${e.code}`;
  return e.message ? `${sense}（${e.message}）` : sense;
}

export const time = (ms) => new Date(Number(ms)).toLocaleTimeString('zh-CN', { hour12: false });

/// "2小时13分" / "13分05秒" / "已超时 4分" until `deadline` (ms) from `now`.
export function countdown(deadline, now = Date.now()) {
  let s = Math.round((Number(deadline) - now) / 1000);
  const late = s < 0;
  s = Math.abs(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const text = h > 0 ? `${h}小时${m}分` : `${m}分${String(sec).padStart(2, '0')}秒`;
  return late ? `已超时 ${text}` : text;
}
