// The generator's tables (see xinyang_data.hpp). Counties, codes and seats are real;
// boxes are rough rectangles around each seat inside Xinyang (lat 30.4-32.7 N,
// lon 113.7-115.9 E); the township split per county is plausible, not official.

#include "sim/gen/xinyang_data.hpp"

#include <array>

namespace hub::sim::data {

using namespace std::string_view_literals;

namespace {

// code, name, seat lat/lon, box lat_min/lat_max/lon_min/lon_max, streets/towns/townships
constexpr std::array<county, 10> county_table{{
    {411502, "浉河区", 32.123, 114.059, 31.80, 32.25, 113.75, 114.20, 9, 5, 3},
    {411503, "平桥区", 32.101, 114.126, 31.95, 32.55, 113.85, 114.45, 9, 10, 6},
    {411521, "罗山县", 32.203, 114.513, 31.75, 32.45, 114.30, 114.75, 3, 9, 8},
    {411522, "光山县", 32.011, 114.919, 31.80, 32.25, 114.70, 115.15, 3, 9, 8},
    {411523, "新县", 31.644, 114.879, 31.45, 31.85, 114.60, 115.10, 3, 7, 7},
    {411524, "商城县", 31.799, 115.407, 31.45, 32.00, 115.10, 115.65, 4, 10, 9},
    {411525, "固始县", 32.168, 115.654, 31.90, 32.60, 115.35, 115.88, 4, 14, 15},
    {411526, "潢川县", 32.131, 115.051, 31.95, 32.40, 114.85, 115.30, 4, 8, 9},
    {411527, "淮滨县", 32.474, 115.420, 32.25, 32.65, 115.10, 115.60, 3, 7, 9},
    {411528, "息县", 32.343, 114.741, 32.15, 32.65, 114.45, 115.00, 3, 7, 10},
}};

constexpr std::array<named, protocol::module_count> module_table{{
    {"rural", "乡村振兴"},
    {"safety", "平安建设"},
    {"discipline", "纪检监察"},
    {"organisation", "组织统战"},
    {"enforcement", "监管执法"},
    {"economy", "经济发展"},
    {"culture", "文旅文创"},
    {"services", "公共服务"},
    {"militia", "武装工作"},
    {"construction", "城乡建设"},
}};

constexpr std::array<named, protocol::channel_count> channel_table{{
    {"party_gov", "党政指挥"},
    {"party_building", "党建引领"},
    {"coordination", "综合协调"},
    {"economy", "经济运行"},
    {"stability", "平安稳定"},
    {"emergency", "应急管理"},
    {"ecology", "生态环保"},
    {"livelihood", "民生服务"},
    {"rural", "乡村振兴"},
    {"urban", "城市管理"},
    {"supervision", "纪检监督"},
    {"civility", "文明创建"},
    {"flood", "防汛抗旱"},
    {"epidemic", "疫情防控"},
}};

// Modules: 0 rural, 1 safety, 2 discipline, 3 organisation, 4 enforcement, 5 economy,
// 6 culture, 7 services, 8 militia, 9 construction.
constexpr std::array<category, 29> category_table{{
    {"rural.land", "土地承包纠纷", 0, 150},
    {"rural.irrigation", "农田水利设施", 0, 100},
    {"rural.relapse", "防返贫监测", 0, 100},
    {"safety.dispute", "邻里纠纷", 1, 100},
    {"safety.hazard", "安全隐患", 1, 50},
    {"safety.fire", "消防隐患", 1, 50},
    {"safety.petition", "信访维稳", 1, 100},
    {"safety.fraud", "电信诈骗防范", 1, 50},
    {"discipline.conduct", "干部作风问题", 2, 150},
    {"discipline.funds", "惠民资金监管", 2, 200},
    {"org.party", "基层党建", 3, 200},
    {"enforce.food", "食品安全", 4, 50},
    {"enforce.market", "市场秩序", 4, 100},
    {"enforce.pollution", "环境污染", 4, 50},
    {"enforce.noise", "噪音扰民", 4, 100},
    {"enforce.illegal_build", "违法建设", 4, 150},
    {"econ.wages", "拖欠农民工工资", 5, 50},
    {"econ.business", "营商环境", 5, 150},
    {"culture.heritage", "文物保护", 6, 200},
    {"culture.tourism", "旅游投诉", 6, 100},
    {"services.assistance", "社会救助", 7, 100},
    {"services.health", "医疗卫生", 7, 100},
    {"services.education", "教育服务", 7, 150},
    {"services.elderly", "养老服务", 7, 100},
    {"militia.veterans", "退役军人服务", 8, 100},
    {"build.road", "道路交通设施", 9, 150},
    {"build.utilities", "供水供电", 9, 50},
    {"build.housing", "危房改造", 9, 200},
    {"build.sanitation", "环境卫生", 9, 100},
}};

constexpr std::uint16_t m(std::initializer_list<int> modules) {
  std::uint16_t bits = 0;
  for (int i : modules)
    bits = static_cast<std::uint16_t>(bits | (1u << i));
  return bits;
}

// The 23 core departments cover every module; the others appear in about half the counties.
constexpr std::array<department, 38> department_table{{
    {"公安局", m({1}), true},          {"住房和城乡建设局", m({9}), true},
    {"生态环境分局", m({4, 9}), true}, {"市场监督管理局", m({4, 5}), true},
    {"农业农村局", m({0}), true},      {"文化广电和旅游局", m({6}), true},
    {"民政局", m({7}), true},          {"人力资源和社会保障局", m({5, 7}), true},
    {"城市管理局", m({4, 9}), true},   {"应急管理局", m({1}), true},
    {"自然资源局", m({0, 9}), true},   {"水利局", m({0, 9}), true},
    {"交通运输局", m({9}), true},      {"教育体育局", m({7}), true},
    {"卫生健康委员会", m({7}), true},  {"司法局", m({1}), true},
    {"信访局", m({1}), true},          {"发展和改革委员会", m({5}), true},
    {"财政局", m({5}), true},          {"纪委监委", m({2}), true},
    {"组织部", m({3}), true},          {"统战部", m({3}), true},
    {"人民武装部", m({8}), true},      {"林业局", m({0}), false},
    {"退役军人事务局", m({8}), false}, {"乡村振兴局", m({0}), false},
    {"商务局", m({5}), false},         {"工业和信息化局", m({5}), false},
    {"医疗保障局", m({7}), false},     {"审计局", m({2}), false},
    {"宣传部", m({3, 6}), false},      {"政法委", m({1}), false},
    {"消防救援大队", m({1}), false},   {"税务局", m({5}), false},
    {"统计局", m({5}), false},         {"科学技术局", m({5}), false},
    {"供销合作社", m({0}), false},     {"数据局", m({7}), false},
}};

// The twenty most common surnames come first; the generator draws from them more often.
constexpr std::array surname_table{
    "王"sv, "李"sv, "张"sv, "刘"sv, "陈"sv, "杨"sv, "黄"sv, "赵"sv, "吴"sv, "周"sv, "徐"sv, "孙"sv,
    "马"sv, "朱"sv, "胡"sv, "郭"sv, "何"sv, "高"sv, "林"sv, "罗"sv, "郑"sv, "梁"sv, "谢"sv, "宋"sv,
    "唐"sv, "许"sv, "韩"sv, "冯"sv, "邓"sv, "曹"sv, "彭"sv, "曾"sv, "肖"sv, "田"sv, "董"sv, "袁"sv,
    "潘"sv, "于"sv, "蒋"sv, "蔡"sv, "余"sv, "杜"sv, "叶"sv, "程"sv, "苏"sv, "魏"sv, "吕"sv, "丁"sv,
    "任"sv, "沈"sv, "姚"sv, "卢"sv, "姜"sv, "崔"sv, "钟"sv, "谭"sv, "陆"sv, "汪"sv, "范"sv, "金"sv,
    "石"sv, "廖"sv, "贾"sv, "夏"sv, "付"sv, "方"sv, "邹"sv, "熊"sv, "白"sv, "孟"sv, "秦"sv, "邱"sv,
    "江"sv, "尹"sv, "薛"sv, "闫"sv, "段"sv, "雷"sv, "侯"sv, "龙"sv, "史"sv, "陶"sv, "黎"sv, "贺"sv,
    "顾"sv, "毛"sv, "郝"sv, "龚"sv, "邵"sv, "万"sv, "钱"sv, "严"sv, "武"sv, "戴"sv, "孔"sv, "向"sv,
    "汤"sv, "易"sv, "柯"sv, "晏"sv,
};

constexpr std::array given_table{
    "伟"sv, "芳"sv, "娜"sv, "敏"sv, "静"sv, "丽"sv, "强"sv, "磊"sv, "军"sv, "洋"sv, "勇"sv,
    "艳"sv, "杰"sv, "娟"sv, "涛"sv, "明"sv, "超"sv, "秀"sv, "霞"sv, "平"sv, "刚"sv, "桂"sv,
    "英"sv, "华"sv, "玉"sv, "兰"sv, "红"sv, "建"sv, "国"sv, "文"sv, "辉"sv, "鹏"sv, "飞"sv,
    "斌"sv, "宇"sv, "浩"sv, "凯"sv, "健"sv, "俊"sv, "帆"sv, "旭"sv, "宁"sv, "林"sv, "欢"sv,
    "阳"sv, "佳"sv, "晨"sv, "慧"sv, "琳"sv, "婷"sv, "雪"sv, "梅"sv, "莉"sv, "倩"sv, "颖"sv,
    "玲"sv, "丹"sv, "萍"sv, "燕"sv, "鑫"sv, "波"sv, "峰"sv, "海"sv, "云"sv, "亮"sv, "成"sv,
    "春"sv, "志"sv, "新"sv, "金"sv, "生"sv, "荣"sv, "德"sv, "福"sv, "清"sv, "永"sv, "全"sv,
    "庆"sv, "忠"sv, "义"sv, "长"sv, "顺"sv, "东"sv, "宏"sv, "晓"sv, "家"sv, "振"sv, "兴"sv,
    "安"sv, "思"sv, "雨"sv, "博"sv, "子"sv, "欣"sv, "怡"sv, "梓"sv, "诗"sv, "瑞"sv, "泽"sv,
    "轩"sv, "涵"sv, "萱"sv, "琪"sv, "彤"sv, "昊"sv, "然"sv, "凡"sv, "豪"sv, "杨"sv, "光"sv,
};

constexpr std::array rural_first_table{
    "吴"sv, "董"sv, "谭"sv, "柳"sv, "游"sv, "龙"sv, "胡"sv, "洋"sv, "彭"sv, "肖"sv, "高"sv, "邢"sv,
    "甘"sv, "长"sv, "五"sv, "十"sv, "双"sv, "东"sv, "西"sv, "南"sv, "北"sv, "新"sv, "老"sv, "金"sv,
    "青"sv, "白"sv, "黄"sv, "红"sv, "桃"sv, "杏"sv, "梅"sv, "竹"sv, "松"sv, "桂"sv, "莲"sv, "凤"sv,
    "狮"sv, "马"sv, "鹿"sv, "仙"sv, "石"sv, "泉"sv, "李"sv, "王"sv, "张"sv, "刘"sv, "陈"sv, "杨"sv,
    "周"sv, "徐"sv, "罗"sv, "余"sv, "熊"sv, "汪"sv, "程"sv, "蔡"sv, "方"sv, "付"sv, "鲁"sv, "潘"sv,
};

constexpr std::array rural_second_table{
    "店"sv, "集"sv, "寨"sv, "畈"sv, "岗"sv, "冲"sv, "湾"sv, "河"sv, "桥"sv, "铺"sv,
    "庙"sv, "楼"sv, "港"sv, "坪"sv, "山"sv, "林"sv, "庄"sv, "园"sv, "洼"sv, "圩"sv,
    "埠"sv, "塘"sv, "堰"sv, "关"sv, "岭"sv, "台"sv, "营"sv, "郢"sv, "湖"sv, "堡"sv,
};

constexpr std::array urban_first_table{
    "东"sv, "西"sv, "南"sv, "北"sv, "中"sv, "新"sv, "老"sv, "文"sv, "民"sv, "人"sv,
    "和"sv, "平"sv, "建"sv, "兴"sv, "龙"sv, "凤"sv, "金"sv, "胜"sv, "光"sv, "湖"sv,
    "车"sv, "五"sv, "双"sv, "丽"sv, "羊"sv, "弋"sv, "蓼"sv, "浉"sv, "淮"sv, "春"sv,
};

constexpr std::array urban_second_table{
    "城"sv, "山"sv, "湖"sv, "桥"sv, "园"sv, "华"sv, "兴"sv, "安"sv, "和"sv, "平"sv,
    "湾"sv, "星"sv, "井"sv, "河"sv, "关"sv, "阳"sv, "水"sv, "港"sv, "苑"sv, "林"sv,
};

constexpr std::array community_table{
    "幸福"sv, "民主"sv, "建设"sv, "胜利"sv, "团结"sv, "和平"sv, "新华"sv, "光明"sv,
    "人民"sv, "解放"sv, "东方"sv, "文化"sv, "阳光"sv, "花园"sv, "鸿福"sv, "锦绣"sv,
    "翠苑"sv, "金桥"sv, "银河"sv, "湖滨"sv, "滨河"sv, "春晖"sv, "和谐"sv, "振兴"sv,
    "友谊"sv, "红旗"sv, "前进"sv, "育才"sv, "书香"sv, "五一"sv, "长安"sv, "兴隆"sv,
    "永安"sv, "康宁"sv, "泰和"sv, "明珠"sv, "龙潭"sv, "南湖"sv, "北湖"sv, "新村"sv,
};

constexpr std::array prefix_table{"大"sv, "小"sv, "新"sv, "前"sv, "后"sv, "上"sv, "下"sv};

} // namespace

std::span<const county> counties() { return county_table; }
std::span<const named> modules() { return module_table; }
std::span<const named> channels() { return channel_table; }
std::span<const category> categories() { return category_table; }
std::span<const department> departments() { return department_table; }

std::span<const std::string_view> surnames() { return surname_table; }
std::span<const std::string_view> given_chars() { return given_table; }
std::span<const std::string_view> rural_first() { return rural_first_table; }
std::span<const std::string_view> rural_second() { return rural_second_table; }
std::span<const std::string_view> urban_first() { return urban_first_table; }
std::span<const std::string_view> urban_second() { return urban_second_table; }
std::span<const std::string_view> community_words() { return community_table; }
std::span<const std::string_view> name_prefixes() { return prefix_table; }

} // namespace hub::sim::data
