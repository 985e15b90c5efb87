#!/usr/bin/python3
"""Writes the demonstration catalog of 2022: deploy/demo/regions.csv,
deploy/demo/project-counties.jsonl (funding's designations, applied first: catalog gives seats of
the 项目县 category only to active project counties, R-27) and deploy/demo/catalog-2022.jsonl
(calls for `peixunctl apply`). Deterministic: the same files
every run. County codes follow GB/T 2260 as known to us; check them against the official
list before production use."""
import json
import os

CITIES = [
    ("4101", "郑州市", "中原区:410102 二七区:410103 管城回族区:410104 金水区:410105 上街区:410106 惠济区:410108 中牟县:410122 巩义市:410181 荥阳市:410182 新密市:410183 新郑市:410184 登封市:410185"),
    ("4102", "开封市", "龙亭区:410202 顺河回族区:410203 鼓楼区:410204 禹王台区:410205 祥符区:410212 杞县:410221 通许县:410222 尉氏县:410223 兰考县:410225"),
    ("4103", "洛阳市", "老城区:410302 西工区:410303 瀍河回族区:410304 涧西区:410305 偃师区:410307 孟津区:410308 洛龙区:410311 新安县:410323 栾川县:410324 嵩县:410325 汝阳县:410326 宜阳县:410327 洛宁县:410328 伊川县:410329"),
    ("4104", "平顶山市", "新华区:410402 卫东区:410403 石龙区:410404 湛河区:410411 宝丰县:410421 叶县:410422 鲁山县:410423 郏县:410425 舞钢市:410481 汝州市:410482"),
    ("4105", "安阳市", "文峰区:410502 北关区:410503 殷都区:410505 龙安区:410506 安阳县:410522 汤阴县:410523 滑县:410526 内黄县:410527 林州市:410581"),
    ("4106", "鹤壁市", "鹤山区:410602 山城区:410603 淇滨区:410611 浚县:410621 淇县:410622"),
    ("4107", "新乡市", "红旗区:410702 卫滨区:410703 凤泉区:410704 牧野区:410711 新乡县:410721 获嘉县:410724 原阳县:410725 延津县:410726 封丘县:410727 卫辉市:410781 辉县市:410782 长垣市:410783"),
    ("4108", "焦作市", "解放区:410802 中站区:410803 马村区:410804 山阳区:410811 修武县:410821 博爱县:410822 武陟县:410823 温县:410825 沁阳市:410882 孟州市:410883"),
    ("4109", "濮阳市", "华龙区:410902 清丰县:410922 南乐县:410923 范县:410926 台前县:410927 濮阳县:410928"),
    ("4110", "许昌市", "魏都区:411002 建安区:411003 鄢陵县:411024 襄城县:411025 禹州市:411081 长葛市:411082"),
    ("4111", "漯河市", "源汇区:411102 郾城区:411103 召陵区:411104 舞阳县:411121 临颍县:411122"),
    ("4112", "三门峡市", "湖滨区:411202 陕州区:411203 渑池县:411221 卢氏县:411224 义马市:411281 灵宝市:411282"),
    ("4113", "南阳市", "宛城区:411302 卧龙区:411303 南召县:411321 方城县:411322 西峡县:411323 镇平县:411324 内乡县:411325 淅川县:411326 社旗县:411327 唐河县:411328 新野县:411329 桐柏县:411330 邓州市:411381"),
    ("4114", "商丘市", "梁园区:411402 睢阳区:411403 民权县:411421 睢县:411422 宁陵县:411423 柘城县:411424 虞城县:411425 夏邑县:411426 永城市:411481"),
    ("4115", "信阳市", "浉河区:411502 平桥区:411503 罗山县:411521 光山县:411522 新县:411523 商城县:411524 固始县:411525 潢川县:411526 淮滨县:411527 息县:411528"),
    ("4116", "周口市", "川汇区:411602 淮阳区:411603 扶沟县:411621 西华县:411622 商水县:411623 沈丘县:411624 郸城县:411625 太康县:411627 鹿邑县:411628 项城市:411681"),
    ("4117", "驻马店市", "驿城区:411702 西平县:411721 上蔡县:411722 平舆县:411723 正阳县:411724 确山县:411725 泌阳县:411726 汝南县:411727 遂平县:411728 新蔡县:411729"),
    # 济源示范区 is county-level and run as a city (DOMAIN §2); it has no counties of its own.
    ("419001", "济源示范区", ""),
]

HOSTS = [
    ("bnu", "北京师范大学", ""), ("henu", "河南大学", "4102"), ("zzu", "郑州大学", "4101"),
    ("htu", "河南师范大学", "4107"), ("xynu", "信阳师范学院", "4115"), ("lynu", "洛阳师范学院", "4103"),
    ("nynu", "南阳师范学院", "4113"), ("sqnu", "商丘师范学院", "4114"), ("aynu", "安阳师范学院", "4105"),
    ("zknu", "周口师范学院", "4116"), ("mqjx", "民权县教师进修学校", "411421"),
]

CATEGORIES = [
    ("gp-rural-backbone", "农村骨干教师能力提升培训", "NATIONAL"),
    ("gp-key-area-support", "重点区域领域帮扶培训", "NATIONAL"),
    ("gp-trainer-teams", "市县教师培训团队研修", "NATIONAL"),
    ("gp-rural-principals", "农村校园长领导力培训", "NATIONAL"),
    ("gp-it-capability", "中小学教师信息技术应用能力培训", "NATIONAL"),
    ("gp-thematic-demo", "专题示范培训", "NATIONAL"),
    ("gp-project-county", "项目县", "NATIONAL"),
    ("sp-famous-teachers", "省级名师培育对象培育项目", "PROVINCIAL"),
    ("sp-senior-it", "高中教师信息技术应用能力提升培训项目", "PROVINCIAL"),
    ("sp-senior-managers", "教师教育高级管理者研修项目", "PROVINCIAL"),
    ("sp-exam-invigilators", "河南省国家教育统一考试监考教师培训项目", "PROVINCIAL"),
    ("sp-exam-markers", "河南省国家教育统一考试评卷教师培训项目", "PROVINCIAL"),
]

# id, name, category, host, seats, format (centralized, shadowing, online hours, practice months),
# credit hours, start (month, day), audience
PROJECTS = [
    ("rural-backbone", "乡村骨干教师素质提升", "gp-rural-backbone", "henu", 900, (10, 5, 30, 3), 120, (9, 20),
     {"rural_only": True, "min_teaching_years": 5}),
    ("rural-chief", "乡村首席教师素质提升", "gp-rural-backbone", "htu", 500, (10, 5, 30, 3), 120, (10, 10),
     {"rural_only": True, "roles": ["CHIEF_RURAL_TEACHER"],
      "regions": ["regions/4107", "regions/4109", "regions/4112", "regions/4115", "regions/4116"]}),
    ("county-support-pilot", "县域教师发展支持服务体系建设试点", "gp-key-area-support", "bnu", 300, (10, 0, 0, 0), 80, (10, 15),
     {"regions": ["regions/411523", "regions/411522", "regions/410225"]}),
    ("trainer-teams", "市县教师培训团队研修", "gp-trainer-teams", "zzu", 400, (10, 5, 0, 0), 100, (9, 25),
     {"roles": ["TRAINER"]}),
    ("rural-principals", "农村校园长领导力培训", "gp-rural-principals", "xynu", 400, (7, 3, 0, 0), 80, (10, 20),
     {"rural_only": True, "roles": ["PRINCIPAL"]}),
    ("it-capability", "中小学教师信息技术应用能力培训", "gp-it-capability", "lynu", 2000, (0, 0, 50, 0), 50, (9, 15), {}),
    ("moral-education", "中小学思政课骨干教师", "gp-thematic-demo", "nynu", 300, (5, 0, 0, 3), 60, (10, 25),
     {"stages": ["PRIMARY", "JUNIOR_SECONDARY"], "subjects": ["道德与法治"]}),
    ("boarding-life", "寄宿制学校生活指导教师", "gp-thematic-demo", "sqnu", 300, (5, 2, 0, 0), 56, (11, 1),
     {"roles": ["BOARDING_LIFE_TUTOR"]}),
    ("boarding-mental-health", "寄宿制学校心理健康教育教师", "gp-thematic-demo", "aynu", 300, (7, 0, 0, 3), 70, (11, 5),
     {"roles": ["MENTAL_HEALTH_TEACHER"]}),
    ("project-county", "项目县教师培训", "gp-project-county", "mqjx", 1560, (10, 0, 0, 0), 80, (9, 18), {}),
    ("provincial-backbone", "省级骨干教师培育", "sp-famous-teachers", "henu", 300, (7, 5, 0, 0), 96, (10, 8),
     {"roles": ["BACKBONE_TEACHER"]}),
    ("online-teaching", "学科教师在线教学能力提升", "sp-senior-it", "zknu", 1000, (0, 0, 50, 0), 50, (9, 10),
     {"stages": ["SENIOR_SECONDARY"]}),
    ("senior-managers", "教师教育高级管理者研修", "sp-senior-managers", "bnu", 100, (5, 0, 0, 0), 40, (11, 10), {}),
    ("exam-invigilators", "国家教育统一考试监考教师培训", "sp-exam-invigilators", "zzu", 2000, (0, 0, 8, 0), 8, (11, 20), {}),
    ("exam-markers", "国家教育统一考试评卷教师培训", "sp-exam-markers", "htu", 500, (3, 0, 0, 0), 24, (11, 25), {}),
]


# the levels cities and counties run themselves (市培, 县培), a host of theirs, and the
# projects they run with their own seats, created by their own admin (after everything above,
# so that the request ids of a stack loaded before stay what they were): owner,
# id, name, category, host, seats, format, credit hours, start (month, day), audience.
OWNED_CATEGORIES = [("city-training", "市级教师培训", "CITY"), ("county-training", "县级教师培训", "COUNTY")]
OWNED_HOSTS = [("lkjx", "兰考县教师进修学校", "410225")]
OWNED_PROJECTS = [
    ("4102", "kaifeng-head-teachers", "开封市中小学班主任能力提升培训", "city-training", "henu", 80,
     (3, 0, 0, 0), 24, (11, 16), {"roles": ["HEAD_TEACHER"]}),
    ("410225", "lankao-rural-reading", "兰考县乡村教师阅读素养培训", "county-training", "lkjx", 40,
     (2, 0, 0, 0), 12, (12, 5), {"rural_only": True}),
]


# 项目县 categories: their seats go only to active project counties.
PROJECT_COUNTY_CATEGORIES = {"gp-project-county"}


def counties_of(city_line):
    return [tuple(x.split(":")) for x in city_line.split()] if city_line else []


def split(total, n):
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


# 省直管 (DOMAIN R-1a, R-1b): the directly administered counties, which may take quotas straight
# from the province and report under their city, and 济源, its own county-level unit.
DIRECTLY_ADMINISTERED = {"410181", "410225", "410482", "410526", "410783", "411381", "411481",
                         "411525", "411628", "411729", "419001"}


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    lines = ["code,name,parent_code,level,directly_administered", "41,河南省,,province,false"]

    def direct(code):
        return "true" if code in DIRECTLY_ADMINISTERED else "false"

    for code, name, counties in CITIES:
        lines.append(f"{code},{name},41,city,{direct(code)}")
        for county, county_code in counties_of(counties):
            lines.append(f"{county_code},{county},{code},county,{direct(county_code)}")
    csv = "\n".join(lines) + "\n"
    with open(os.path.join(root, "deploy", "demo", "regions.csv"), "w", encoding="utf-8") as f:
        f.write(csv)

    calls = []
    n = 0
    project_counties = set()

    def call(method, request, role="province_admin", region="", request_id=""):
        nonlocal n
        n += 1
        request = dict(request, request_id=request_id or f"demo-2022-{n:05d}")
        entry = {"service": "catalog", "method": method, "role": role}
        if region:
            entry["region"] = region
        entry["request"] = request
        calls.append(entry)

    # The second version of the region file (with directly_administered): its own request id, so
    # a stack that loaded the first one takes it instead of refusing a reused id.
    call("ImportRegions", {"csv": csv}, request_id="demo-2022-regions-2")
    call("CreateYear", {"plan_year": {"year": 2022, "nomination_deadline": {"year": 2022, "month": 8, "day": 31}}})
    for cid, name, level in CATEGORIES:
        category = {"display_name": name, "plan_level": level}
        request_id = ""
        if cid in PROJECT_COUNTY_CATEGORIES:
            # flagged since the flag exists; its own request id, as for the regions.
            category["project_county"] = True
            request_id = f"demo-2022-category-{cid}-2"
        call("CreateCategory", {"parent": "years/2022", "category_id": cid, "category": category},
             request_id=request_id)
    for hid, name, region in HOSTS:
        host = {"display_name": name}
        if region:
            host["region"] = f"regions/{region}"
        call("CreateHost", {"host_id": hid, "host": host})
    county_parent = {cc: code for code, _, cs in CITIES for _, cc in counties_of(cs)}
    for pid, name, cat, host, seats, (cen, sha, onl, pra), credit, (m, d), audience in PROJECTS:
        days = max(cen + sha, 1)
        start_day = 0
        end = {"year": 2022, "month": m, "day": d}
        # End date: start + training days - 1 (months here never overflow past Dec 31).
        import datetime
        s = datetime.date(2022, m, d)
        e = s + datetime.timedelta(days=days - 1)
        end = {"year": e.year, "month": e.month, "day": e.day}
        fmt = {"centralized_days": cen, "shadowing_days": sha, "online_hours": onl, "practice_months": pra}
        call("CreateProject", {"parent": "years/2022", "project_id": pid, "project": {
            "display_name": name, "category": f"years/2022/categories/{cat}", "host": f"hosts/{host}",
            "audience": audience, "format": fmt, "credit_hours": credit,
            "start_date": {"year": 2022, "month": m, "day": d}, "end_date": end, "seats": seats}})
        # R-3: seats go to the cities (or the named counties' cities), then to their counties.
        regions = audience.get("regions", [])
        targets = {}  # city -> counties
        if regions:
            for r in regions:
                code = r.split("/")[1]
                if len(code) == 4:
                    targets[code] = [cc for _, cc in counties_of(dict((c, cs) for c, _, cs in CITIES)[code])]
                else:
                    targets.setdefault(county_parent[code], []).append(code)
        else:
            for code, _, cs in CITIES:
                if cs:
                    targets[code] = [cc for _, cc in counties_of(cs)]
        weights = [len(v) for v in targets.values()]
        total_weight = sum(weights)
        city_seats = [seats * w // total_weight for w in weights]
        city_seats[0] += seats - sum(city_seats)
        if cat in PROJECT_COUNTY_CATEGORIES:
            for counties in targets.values():
                project_counties.update(counties)
        for (city, counties), city_total in zip(targets.items(), city_seats):
            call("AllocateQuota", {"parent": f"years/2022/projects/{pid}", "region": f"regions/{city}", "seats": city_total})
            for county, county_seats in zip(counties, split(city_total, len(counties))):
                call("AllocateQuota", {"parent": f"years/2022/projects/{pid}/quotas/{city}",
                                       "region": f"regions/{county}", "seats": county_seats},
                     role="city_admin", region=city)
    # 开封 runs a 市培 project and splits it among its counties; 兰考 (directly
    # administered) runs a 县培 one. Their seats are theirs at creation, with no province step.
    import datetime
    for cid, name, level in OWNED_CATEGORIES:
        call("CreateCategory", {"parent": "years/2022", "category_id": cid,
                                "category": {"display_name": name, "plan_level": level}})
    for hid, name, region in OWNED_HOSTS:
        call("CreateHost", {"host_id": hid, "host": {"display_name": name, "region": f"regions/{region}"}})
    for owner, pid, name, cat, host, seats, (cen, sha, onl, pra), credit, (m, d), audience in OWNED_PROJECTS:
        s = datetime.date(2022, m, d)
        e = s + datetime.timedelta(days=max(cen + sha, 1) - 1)
        city = len(owner) == 4
        role = "city_admin" if city else "county_admin"
        call("CreateProject", {"parent": "years/2022", "project_id": pid, "project": {
            "display_name": name, "owner": f"regions/{owner}", "category": f"years/2022/categories/{cat}",
            "host": f"hosts/{host}", "audience": audience,
            "format": {"centralized_days": cen, "shadowing_days": sha, "online_hours": onl, "practice_months": pra},
            "credit_hours": credit, "start_date": {"year": 2022, "month": m, "day": d},
            "end_date": {"year": e.year, "month": e.month, "day": e.day}, "seats": seats}},
             role=role, region=owner)
        if city:
            counties = [cc for _, cc in counties_of(dict((c, cs) for c, _, cs in CITIES)[owner])]
            for county, county_seats in zip(counties, split(seats, len(counties))):
                call("AllocateQuota", {"parent": f"years/2022/projects/{pid}/quotas/{owner}",
                                       "region": f"regions/{county}", "seats": county_seats},
                     role=role, region=owner)
    with open(os.path.join(root, "deploy", "demo", "catalog-2022.jsonl"), "w", encoding="utf-8") as f:
        f.write("# Demonstration catalog of 2022, made by tools/demo/gen_catalog_demo.py. Load with:\n")
        f.write("#   peixunctl apply deploy/demo/catalog-2022.jsonl\n")
        for c in calls:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    # The counties that get 项目县 seats have been project counties since 2021 (a two-year term,
    # 2021-2022, that the 2022 evaluation's grades extend or revoke; ).
    with open(os.path.join(root, "deploy", "demo", "project-counties.jsonl"), "w", encoding="utf-8") as f:
        f.write("# Demonstration project counties (funding), made by tools/demo/gen_catalog_demo.py. Load\n")
        f.write("# before the catalog, whose 项目县 seats go only to active project counties (R-27):\n")
        f.write("#   peixunctl apply deploy/demo/project-counties.jsonl\n")
        for county in sorted(project_counties):
            f.write(json.dumps({"service": "funding", "method": "DesignateProjectCounty",
                                "role": "province_admin",
                                "request": {"county": f"regions/{county}", "from_year": 2021,
                                            "request_id": f"demo-2021-designate-{county}"}},
                               ensure_ascii=False) + "\n")
    print(f"{len(lines) - 1} regions, {len(calls)} calls, {len(project_counties)} project counties")


if __name__ == "__main__":
    main()
