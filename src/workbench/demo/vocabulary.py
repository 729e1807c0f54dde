"""The words of the demo company: names, places, industries, channels, products, service terms.

Each list comes with its sampling weights (a NumPy array of the same length) where
the generator draws from it.  Tests check the generated tables against these lists.
"""

from __future__ import annotations

import numpy as np

from .. import schema

__all__ = [
    "ALL_CHANNELS",
    "B2B_CHANNELS",
    "B2B_CHANNEL_IDX",
    "B2B_CHANNEL_W",
    "B2C_CHANNELS",
    "B2C_CHANNEL_IDX",
    "B2C_CHANNEL_W",
    "BRAND_CHARS",
    "BRAND_PINYIN",
    "CATEGORIES",
    "CITY_SHORT",
    "COMPLAINT_CATEGORIES",
    "COMPLAINT_CAT_W",
    "EMAIL_DOMAINS",
    "EMAIL_W",
    "ERP_CHANNELS",
    "GIVEN",
    "INDUSTRIES",
    "MOBILE_PREFIXES",
    "OUTCOMES",
    "OUTCOME_W",
    "PLACES",
    "SEVERITIES",
    "SEVERITY_MEDIAN_HOURS",
    "SEVERITY_W",
    "SLASH_DATE_CHANNELS",
    "SURNAMES",
    "SURNAME_WEIGHTS",
    "VISIT_KINDS",
    "VISIT_KIND_W",
]

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"),
]
SURNAME_WEIGHTS = np.array([7.3, 7.2, 7.0, 5.4, 4.6, 3.1, 2.3, 2.2, 2.0, 1.9, 1.8, 1.5, 1.3,
                            1.3, 1.2, 1.2, 1.2, 1.1, 1.0, 0.9, 0.9, 0.8, 0.8, 0.7, 0.7, 0.7,
                            0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
                            0.5, 0.4, 0.4])
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂", "gui"), ("华", "hua"), ("建", "jian"),
    ("文", "wen"), ("玲", "ling"), ("鹏", "peng"), ("辉", "hui"), ("宇", "yu"), ("婷", "ting"),
    ("浩", "hao"), ("鑫", "xin"), ("欣", "xin"), ("佳", "jia"), ("晨", "chen"), ("雪", "xue"),
    ("梅", "mei"), ("琳", "lin"), ("志", "zhi"), ("国", "guo"), ("斌", "bin"), ("博", "bo"),
    ("俊", "jun"), ("雨", "yu"), ("子", "zi"), ("思", "si"), ("嘉", "jia"), ("慧", "hui"),
    ("凯", "kai"), ("帆", "fan"), ("然", "ran"), ("昊", "hao"), ("倩", "qian"), ("颖", "ying"),
]
# (province, city, weight)
PLACES = [
    ("广东省", "广州市", 7.0), ("广东省", "深圳市", 8.0), ("广东省", "东莞市", 3.0),
    ("广东省", "佛山市", 2.5), ("浙江省", "杭州市", 7.0), ("浙江省", "宁波市", 3.0),
    ("浙江省", "温州市", 2.0), ("江苏省", "南京市", 5.0), ("江苏省", "苏州市", 6.0),
    ("江苏省", "无锡市", 2.5), ("上海市", "上海市", 10.0), ("北京市", "北京市", 8.0),
    ("天津市", "天津市", 2.5), ("重庆市", "重庆市", 3.0), ("四川省", "成都市", 5.0),
    ("湖北省", "武汉市", 4.0), ("湖南省", "长沙市", 3.0), ("山东省", "济南市", 2.5),
    ("山东省", "青岛市", 3.0), ("福建省", "厦门市", 2.5), ("福建省", "福州市", 2.0),
    ("河南省", "郑州市", 3.0), ("陕西省", "西安市", 3.0), ("安徽省", "合肥市", 2.5),
    ("辽宁省", "沈阳市", 1.5), ("辽宁省", "大连市", 1.5), ("云南省", "昆明市", 1.5),
]
CITY_SHORT = {"广州市": "广州", "深圳市": "深圳", "东莞市": "东莞", "佛山市": "佛山", "杭州市": "杭州",
              "宁波市": "宁波", "温州市": "温州", "南京市": "南京", "苏州市": "苏州", "无锡市": "无锡",
              "上海市": "上海", "北京市": "北京", "天津市": "天津", "重庆市": "重庆", "成都市": "成都",
              "武汉市": "武汉", "长沙市": "长沙", "济南市": "济南", "青岛市": "青岛", "厦门市": "厦门",
              "福州市": "福州", "郑州市": "郑州", "西安市": "西安", "合肥市": "合肥", "沈阳市": "沈阳",
              "大连市": "大连", "昆明市": "昆明"}
# (industry, weight, words used in company names)
INDUSTRIES = [
    ("制造业", 0.24, ["机械", "精密制造", "电子", "新材料"]),
    ("零售", 0.16, ["商贸", "百货", "零售"]),
    ("餐饮", 0.12, ["餐饮管理", "食品"]),
    ("互联网", 0.15, ["网络科技", "信息技术", "科技"]),
    ("医疗", 0.10, ["医疗器械", "生物科技", "医药"]),
    ("教育", 0.09, ["教育科技", "文化传播"]),
    ("物流", 0.08, ["供应链管理", "物流"]),
    ("建筑", 0.06, ["建设工程", "建材"]),
]
BRAND_CHARS = list("华信恒达瑞丰盛泰鼎宏嘉源汇通博远金鑫联创新天启明正大中兴安康和裕德润海星辰宇")
BRAND_PINYIN = dict(zip(BRAND_CHARS, [
    "hua", "xin", "heng", "da", "rui", "feng", "sheng", "tai", "ding", "hong", "jia", "yuan", "hui",
    "tong", "bo", "yuan", "jin", "xin", "lian", "chuang", "xin", "tian", "qi", "ming", "zheng", "da",
    "zhong", "xing", "an", "kang", "he", "yu", "de", "run", "hai", "xing", "chen", "yu"], strict=True))
B2C_CHANNELS = ["线上商城", "天猫", "京东", "微信小程序", "线下门店"]
B2C_CHANNEL_W = np.array([0.18, 0.27, 0.22, 0.18, 0.15])
B2B_CHANNELS = ["直销", "经销商", "线上商城"]
B2B_CHANNEL_W = np.array([0.55, 0.35, 0.10])
ALL_CHANNELS = B2C_CHANNELS + ["直销", "经销商"]
# the channels of each customer type as indexes into ALL_CHANNELS
B2B_CHANNEL_IDX = np.array([ALL_CHANNELS.index(c) for c in B2B_CHANNELS])
B2C_CHANNEL_IDX = np.array([ALL_CHANNELS.index(c) for c in B2C_CHANNELS])
ERP_CHANNELS = ("直销", "经销商", "线下门店")       # orders from the ERP carry a gross margin
SLASH_DATE_CHANNELS = ("线下门店", "经销商")     # their system exports dates as 2024/03/05
# (category, unit price CNY, margin rate, weight for B2C, weight for B2B)
CATEGORIES = [
    ("办公用品", 45.0, 0.28, 0.10, 0.30),
    ("电子产品", 380.0, 0.14, 0.22, 0.20),
    ("家居用品", 120.0, 0.32, 0.20, 0.04),
    ("食品饮料", 35.0, 0.25, 0.20, 0.06),
    ("个护美妆", 90.0, 0.42, 0.20, 0.00),
    ("工业耗材", 60.0, 0.22, 0.00, 0.22),
    ("软件服务", 1200.0, 0.55, 0.03, 0.12),
    ("礼品定制", 150.0, 0.38, 0.05, 0.06),
]
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com", "gmail.com"]
EMAIL_W = np.array([0.42, 0.22, 0.1, 0.06, 0.08, 0.07, 0.05])
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "180", "181", "182", "183",
                   "185", "186", "187", "188", "189"]
COMPLAINT_CATEGORIES = ["质量问题", "物流延迟", "售后服务", "价格争议", "账单错误", "发货错误"]
COMPLAINT_CAT_W = np.array([0.30, 0.26, 0.18, 0.10, 0.08, 0.08])
SEVERITIES = list(schema.COMPLAINT_SEVERITIES)
SEVERITY_W = np.array([0.42, 0.35, 0.17, 0.06])
SEVERITY_MEDIAN_HOURS = np.array([60.0, 30.0, 14.0, 6.0])
VISIT_KINDS = list(schema.VISIT_KINDS)               # phone, email, on-site, wechat
VISIT_KIND_W = {"B2C": np.array([0.45, 0.10, 0.05, 0.40]), "B2B": np.array([0.30, 0.15, 0.35, 0.20])}
OUTCOMES = ["有购买意向", "已下单", "需求确认中", "暂无需求", "未接通", "已解决问题", "约定再次拜访"]
OUTCOME_W = np.array([0.18, 0.12, 0.2, 0.16, 0.1, 0.1, 0.14])
