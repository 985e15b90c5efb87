#!/usr/bin/python3
"""Writes deploy/demo/teachers-2022.csv: 20 teachers in each county of deploy/demo/regions.csv,
with valid GB 11643 ID numbers. Deterministic: the same file every run. Load with
`peixunctl import-teachers deploy/demo/teachers-2022.csv` (as province_admin)."""
import csv
import os
import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞建辉宇浩凯丹琳晨雪梅兰婷欣怡雨萱子涵思源佳宁"
STAGES = [("PRIMARY", ["语文", "数学", "英语", "道德与法治", "科学"]),
          ("JUNIOR_SECONDARY", ["语文", "数学", "英语", "物理", "化学", "道德与法治"]),
          ("SENIOR_SECONDARY", ["语文", "数学", "英语", "物理", "历史", "信息技术"]),
          ("KINDERGARTEN", ["学前教育"])]
ROLES = ["", "", "", "BACKBONE_TEACHER", "HEAD_TEACHER", "BACKBONE_TEACHER|HEAD_TEACHER",
         "PRINCIPAL", "CHIEF_RURAL_TEACHER", "TRAINER", "MENTAL_HEALTH_TEACHER", "BOARDING_LIFE_TUTOR"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(county, birth, serial):
    base = f"{county}{birth}{serial:03d}"
    return base + "10X98765432"[sum(int(c) * w for c, w in zip(base, WEIGHTS)) % 11]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    rng = random.Random(2022)
    with open(os.path.join(root, "deploy", "demo", "regions.csv"), encoding="utf-8") as f:
        counties = [(r["code"], r["name"]) for r in csv.DictReader(f) if r["level"] == "county"]
    rows = []
    for code, name in counties:
        for i in range(20):
            stage, subjects = STAGES[rng.randrange(len(STAGES))]
            year = rng.randrange(1970, 1998)
            birth = f"{year}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            gender = "FEMALE" if i % 3 else "MALE"
            rural = rng.random() < 0.7
            school = f"{name}{'乡村' if rural else '城区'}{['第一', '第二', '第三', '实验'][i % 4]}{'小学' if stage == 'PRIMARY' else '中学' if stage != 'KINDERGARTEN' else '幼儿园'}"
            rows.append([id_number(code, birth, 100 + i), rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)), gender,
                         school, code, stage, "|".join(rng.sample(subjects, 1)), "1" if rural else "0",
                         str(min(2020, year + 22 + rng.randrange(0, 5))), rng.choice(ROLES)])
    with open(os.path.join(root, "deploy", "demo", "teachers-2022.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("id_number,name,gender,school,county,stage,subjects,rural,teaching_since_year,roles\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    print(f"{len(rows)} teachers in {len(counties)} counties")


if __name__ == "__main__":
    main()
