# ruff: noqa: E501  (a data table: the guidance texts are kept whole)
"""The hazard types a new instance starts with, and their default guidance (seeded by migration 0002).

Hazard types are data: an operator adds or renames them in the admin. The four computed hazards are the
signals of CMA Order No. 16 (DOMAIN.md §3.1) that ``signals.py`` computes from the monitoring data; their
guidance follows the order's defence guidelines (防御指南), shortened. The others carry general guidance
per level, to be edited by the bureau.
"""

# code, name (zh), name (en), CAP category, computed from monitoring, order
HAZARDS = (
    ("rainstorm", "暴雨", "Rainstorm", "Met", True, 10),
    ("typhoon", "台风", "Typhoon", "Met", True, 20),
    ("gale", "大风", "Gale", "Met", True, 30),
    ("high_temperature", "高温", "High temperature", "Met", True, 40),
    ("flood", "洪水", "Flood", "Met", False, 50),
    ("geological_hazard", "地质灾害", "Geological hazard", "Geo", False, 60),
    ("forest_fire", "森林火险", "Forest-fire danger", "Fire", False, 70),
    ("marine", "海上大风与海浪", "Marine (gale and waves at sea)", "Met", False, 80),
    ("thunderstorm", "雷电", "Thunderstorm", "Met", False, 90),
    ("fog", "大雾", "Fog", "Met", False, 100),
    ("cold_wave", "寒潮", "Cold wave", "Met", False, 110),
    ("other", "其他", "Other", "Other", False, 900),
)

GENERAL = {
    "blue": (
        "关注预警信息和官方通知，做好防范准备。",
        "Follow the warnings and official notices; get ready.",
    ),
    "yellow": (
        "做好防御工作，减少不必要的外出，远离危险区域。",
        "Take protective measures, avoid unnecessary trips and keep away from dangerous places.",
    ),
    "orange": (
        "落实应急措施，危险区域人员及时转移，停止户外危险作业。",
        "Carry out emergency measures; leave dangerous places; stop dangerous outdoor work.",
    ),
    "red": (
        "全力做好应急和抢险工作，听从政府指挥，及时转移到安全场所。",
        "Follow the authorities' instructions and move to a safe place without delay.",
    ),
}

GUIDANCE = {
    "rainstorm": {
        "blue": (
            "做好防暴雨准备；学校、幼儿园采取适当措施保证学生和幼儿安全；驾驶人员注意道路积水和交通阻塞；"
            "检查排水系统，做好排涝准备。",
            "Prepare for heavy rain; schools protect their pupils; drivers beware of flooded roads and jams; "
            "check drains.",
        ),
        "yellow": (
            "做好防暴雨工作；强降雨路段实行交通管制和引导；切断低洼地带有危险的室外电源，暂停空旷地方的户外作业，"
            "转移危险地带人员和危房居民到安全场所避雨。",
            "Traffic control on flooded roads; cut dangerous outdoor power in low-lying areas; stop outdoor work "
            "in open places; move people out of dangerous places and unsafe houses.",
        ),
        "orange": (
            "做好防暴雨应急工作；切断有危险的室外电源，暂停户外作业；危险地带的单位停课、停业；"
            "注意防范可能引发的山洪、滑坡、泥石流等灾害。",
            "Cut dangerous outdoor power and stop outdoor work; schools and businesses in dangerous places close; "
            "beware of flash floods, landslides and debris flows.",
        ),
        "red": (
            "做好防暴雨应急和抢险工作；停止集会、停课、停业（特殊行业除外）；做好山洪、滑坡、泥石流等灾害的防御和抢险。",
            "Stop gatherings; schools and businesses close (essential services excepted); guard against flash "
            "floods, landslides and debris flows.",
        ),
    },
    "typhoon": {
        "blue": (
            "做好防台风准备；关注台风最新消息；固紧门窗、围板、棚架、临时搭建物，妥善安置室外物品。",
            "Prepare for the typhoon; follow the latest news; secure windows, hoardings and temporary "
            "structures; bring in outdoor objects.",
        ),
        "yellow": (
            "停止大型集会和高空等户外危险作业；船舶采取应对措施；加固或拆除易被风吹动的搭建物；"
            "人员切勿随意外出，危房人员及时转移。",
            "Stop large gatherings and dangerous outdoor work; ships take precautions; secure or remove loose "
            "structures; stay indoors; leave unsafe houses.",
        ),
        "orange": (
            "停止集会、停课、停业（特殊行业除外）；船舶回港避风；人员尽可能待在防风安全的地方，"
            "台风眼经过时切勿外出；防范强降水引发的山洪和地质灾害。",
            "Stop gatherings; schools and businesses close; ships return to port; stay in a safe place, also "
            "while the eye passes; beware of flash floods and landslides.",
        ),
        "red": (
            "做好防台风应急和抢险工作；停止集会、停课、停业（特殊行业除外）；人员待在防风安全的地方，"
            "危房人员及时转移；防范强降水引发的山洪和地质灾害。",
            "Emergency and rescue work; everything closes except essential services; stay in a safe place; "
            "leave unsafe houses; beware of flash floods and landslides.",
        ),
    },
    "gale": {
        "blue": (
            "做好防风准备；关好门窗，加固围板、棚架、广告牌等搭建物；行人不要在广告牌、临时搭建物下逗留。",
            "Close windows; secure hoardings, sheds and billboards; do not linger under billboards or "
            "temporary structures.",
        ),
        "yellow": (
            "停止露天活动和高空等户外危险作业；危险地带人员和危房居民转到避风场所；船舶采取应对措施。",
            "Stop open-air events and dangerous outdoor work; people in dangerous places and unsafe houses take "
            "shelter; ships take precautions.",
        ),
        "orange": (
            "房屋抗风能力较弱的学校和单位停课、停业，人员减少外出；船舶回港避风。",
            "Schools and businesses in weak buildings close; go out as little as possible; ships return to port.",
        ),
        "red": (
            "人员尽可能停留在防风安全的地方，不要随意外出；切断危险电源；机场、高速公路等采取保障交通安全的措施。",
            "Stay in a safe place and do not go out; cut dangerous power; airports and motorways take safety "
            "measures.",
        ),
    },
    "high_temperature": {
        "yellow": (
            "做好防暑降温准备；午后尽量减少户外活动；户外作业人员采取防护措施。",
            "Prepare for the heat; avoid outdoor activity in the afternoon; outdoor workers protect themselves.",
        ),
        "orange": (
            "尽量避免在高温时段进行户外活动；高温作业人员缩短连续工作时间；关照老、弱、病、幼人群；注意用电防火。",
            "Avoid outdoor activity in the hottest hours; shorten work shifts in the heat; look after the old, "
            "the sick and children; beware of electrical fires.",
        ),
        "red": (
            "停止户外露天作业（特殊行业除外）；对老、弱、病、幼人群采取保护措施；特别注意防火。",
            "Stop outdoor work (essential services excepted); protect the old, the sick and children; take "
            "special care against fire.",
        ),
    },
}


# Words naming each hazard in the event of an imported CAP alert (matched in this order).
KEYWORDS = {
    "rainstorm": "暴雨,大雨,heavy rain,rainstorm,torrential rain",
    "typhoon": "台风,热带气旋,typhoon,tropical cyclone,hurricane,tropical storm",
    "gale": "大风,gale,high wind,strong wind,windstorm",
    "high_temperature": "高温,high temperature,heat wave,heatwave,extreme heat",
    "flood": "洪水,洪涝,内涝,flood",
    "geological_hazard": "地质灾害,滑坡,泥石流,崩塌,landslide,debris flow,mudslide",
    "forest_fire": "森林火险,森林火灾,forest fire,bushfire,wildfire,fire danger",
    "marine": "海上大风,海浪,风暴潮,marine,high seas,storm surge",
    "thunderstorm": "雷电,雷暴,thunderstorm,lightning",
    "fog": "大雾,fog",
    "cold_wave": "寒潮,cold wave,cold spell",
}


def guidance_rows():
    """(hazard code, level, instructions zh, instructions en) for every hazard and level."""
    for code, *_rest in HAZARDS:
        table = GUIDANCE.get(code, GENERAL)
        for level in ("blue", "yellow", "orange", "red"):
            text = table.get(level) or GENERAL[level]
            yield code, level, text[0], text[1]


def seed(hazard_model=None, guidance_model=None) -> int:
    """Create the hazard types and guidance not yet present (the migration, and an emptied database).
    Returns how many hazard types were created."""
    if hazard_model is None:
        from citywatch.warnings.models import Guidance as guidance_model
        from citywatch.warnings.models import HazardType as hazard_model
    by_code, created = {}, 0
    for code, name, name_en, category, computed, order in HAZARDS:
        by_code[code], new = hazard_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": category,
                "computed": computed,
                "order": order,
                **({"keywords": KEYWORDS.get(code, "")} if _has_keywords(hazard_model) else {}),
            },
        )
        created += new
    for code, level, text, text_en in guidance_rows():
        guidance_model.objects.get_or_create(
            hazard=by_code[code], level=level, defaults={"instructions": text, "instructions_en": text_en}
        )
    return created


def _has_keywords(model) -> bool:
    return any(f.name == "keywords" for f in model._meta.get_fields())


def ensure_seeded() -> None:
    """An emptied database (a transactional test, a flush) gets the default hazard types back."""
    from citywatch.warnings.models import HazardType

    if not HazardType.objects.exists():
        seed()
