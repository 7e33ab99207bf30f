#!/usr/bin/env python3
"""Renders the text lines that scripts/accuracy.js evaluates PaddleOCR's direction classifier and
recognizer on, and applies PaddleOCR's preprocessing once so that qint8 (Node) and onnxruntime's
quantize_static (scripts/ort_quantize_peers.py) read the very same pixels.

Lines: English (sentences composed for this script, cut into lines of 3-9 words, with numbers,
dates and prices mixed in) and Chinese (common words of ppocr_keys_v1.txt, written into this
script, joined into phrases of 5-15 characters, with punctuation and digits). Every line is drawn
with one of several Debian fonts at a random size (22-40 px), dark text on a light, slightly
tinted background, a small tilt (<= 1 degree), optional Gaussian blur and mild Gaussian noise;
each is also kept turned by 180 degrees. Deterministic: one seed, Python's `random` and numpy's
PCG64 (rendering also depends on the FreeType and Pillow versions, recorded in the manifest).

Splits: `calib` (default 50 English + 50 Chinese lines) and `eval` (200 + 200), drawn from
disjoint parts of the text so no evaluation line is a calibration line.

Preprocessing (PaddleOCR's tools/infer/predict_cls.py and predict_rec.py, images in BGR order as
cv2.imread gives them):
  classifier: resize to height 48 keeping the aspect ratio, width ceil(48 * w / h) capped at 192;
              the model input is (x / 255 - 0.5) / 0.5, padded on the right with 0 to 192.
  recognizer: height 48, width ceil(48 * w / h) capped at int(48 * max(320 / 48, w / h)); padded
              with 0 to that width (batch of one line, as PaddleOCR's max_wh_ratio gives it).
The resize is cv2.INTER_LINEAR's sampling (half-pixel centres, edges clamped) evaluated in float64
and rounded to uint8 (OpenCV's 11-bit fixed-point weights can differ by one level; cv2 is not
installed here).

Output folder (default models-cache/ocr-lines, git-ignored):
  lines.json  manifest: settings, versions, and per image {id, split, lang, text, font, size,
              rotation, cls: {offset, width}, rec: {offset, width, padTo} (upright only)}
  cls.bin     uint8 [48, width, 3] BGR images, concatenated (offsets in bytes)
  rec.bin     same for the recognizer's resized lines
  png/        the rendered lines before resizing (for looking at), unless --no-png

Needs: Pillow, numpy, and the Debian font packages
  apt-get install fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-wqy-microhei \
                  fonts-wqy-zenhei fonts-arphic-uming
Usage: python3 scripts/render_text_lines.py [--out DIR] [--seed 2024] [--no-png]
"""
import argparse
import json
import math
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
import PIL
from PIL import features

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
KEYS = os.path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ppocr_keys_v1.txt')

# (path, face index) of the fonts; every one must exist (the script says which package is missing).
LATIN_FONTS = [
    ('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 0, 'fonts-dejavu-core'),
    ('/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf', 0, 'fonts-dejavu-core'),
    ('/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf', 0, 'fonts-dejavu-core'),
    ('/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', 0, 'fonts-liberation'),
    ('/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf', 0, 'fonts-liberation'),
    ('/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf', 0, 'fonts-liberation'),
    ('/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf', 0, 'fonts-liberation'),
    ('/usr/share/fonts/truetype/freefont/FreeSans.ttf', 0, 'fonts-freefont-ttf'),
    ('/usr/share/fonts/truetype/freefont/FreeSerif.ttf', 0, 'fonts-freefont-ttf'),
]
CJK_FONTS = [
    ('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', 0, 'fonts-wqy-microhei'),
    ('/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', 0, 'fonts-wqy-zenhei'),
    ('/usr/share/fonts/truetype/arphic/uming.ttc', 0, 'fonts-arphic-uming'),
]

ENGLISH = """
The quick brown fox jumps over the lazy dog near the river bank.
Please keep your ticket until the end of the journey.
The library opens at nine in the morning and closes at six.
Our team finished the report two days before the deadline.
She bought fresh bread, green apples and a bottle of milk.
The weather forecast says it will rain heavily tomorrow afternoon.
Turn left at the second traffic light and walk for five minutes.
Every student must submit the homework before Friday noon.
The museum has a large collection of paintings from the last century.
He repaired the old bicycle with a few simple tools.
Customers can return any item within thirty days of purchase.
The train to the airport leaves every fifteen minutes.
We are looking for an experienced engineer to join our company.
Remember to save your work and close all windows before leaving.
The meeting has been moved to the small room on the third floor.
A balanced diet and regular exercise are good for your health.
The new bridge will connect the two parts of the city.
Children under twelve must be accompanied by an adult.
Thank you for your order, it will be shipped within two days.
The price of the coffee machine includes delivery and installation.
Water boils at one hundred degrees at sea level.
Most of the photographs were taken during a trip to the mountains.
The software update improves battery life and fixes several bugs.
Please read the instructions carefully before using this product.
Our office is closed on public holidays and weekends.
The garden behind the house is full of roses in early summer.
The committee approved the budget for the next financial year.
Fresh vegetables are delivered to the market every morning.
He wrote a long letter to his grandmother in the countryside.
The lecture on modern history starts in the main hall.
Passengers should keep their luggage with them at all times.
The hotel offers free breakfast and a view of the harbour.
Add two cups of flour, one egg and a pinch of salt.
The factory produces more than ten thousand parts every week.
Traffic was slow because of an accident on the highway.
The students planted trees along the road last spring.
Do not leave bags unattended in the waiting area.
The painting was sold at auction for a record price.
Our new store will open next month in the city centre.
She learned to play the piano when she was seven years old.
The doctor advised him to drink more water and sleep well.
All visitors must sign in at the reception desk.
The river flows slowly through green fields and small villages.
Results of the survey will be published at the end of June.
He always carries a notebook and a pencil in his pocket.
The bakery on the corner sells the best cakes in town.
Emergency exits are located at the front and rear of the cabin.
The company reported strong sales in the first quarter.
A light wind was blowing from the sea in the evening.
They spent the whole weekend painting the kitchen walls.
Reading before bed helps many people fall asleep faster.
The bus stop is just across the street from the bank.
Please switch off your phone during the performance.
The recipe calls for fresh tomatoes, garlic and olive oil.
The old castle stands on a hill above the quiet town.
Our flight was delayed by two hours because of fog.
The children were playing football in the park after school.
Keep this medicine out of the reach of small children.
The conference brings together researchers from many countries.
Invoice number, date of issue and total amount are printed below.
"""

EXTRA_EN = [
    'Total: $128.50', 'Room 304, Building B', 'Tel: 021-6845 3390', 'Order No. 20231187',
    'Due date: March 15, 2024', 'Page 12 of 48', 'Open 9:00 - 18:00', 'Net weight 500 g',
    'Price per kg: 7.99', 'Flight CA1837 Gate 22', 'Version 2.4.1 released', 'Exit 7 North Road',
    'Best before 12/08/2025', 'Speed limit 60 km/h', 'Platform 3 to London', 'Save 25% today only',
]

CHINESE_WORDS = """
我们 中国 人民 经济 发展 社会 工作 问题 国家 政府 企业 市场 学生 学校 老师 时间 今天 明天 城市 北京
上海 公司 服务 技术 科学 文化 历史 生活 环境 保护 健康 医院 交通 安全 管理 信息 网络 电话 手机 电脑
银行 价格 产品 质量 朋友 家庭 孩子 父母 工人 农民 天气 下雨 阳光 春天 夏天 秋天 冬天 早上 晚上 中午
吃饭 喝水 休息 学习 读书 写字 唱歌 跳舞 运动 比赛 音乐 电影 新闻 报纸 图书馆 博物馆 火车站 飞机场 地铁
公交车 出租车 道路 桥梁 建设 计划 目标 结果 方法 能力 水平 标准 规定 法律 制度 改革 开放 合作 交流 研究
开发 设计 生产 销售 消费 投资 金融 贸易 出口 进口 增长 提高 减少 加强 支持 发现 认为 表示 需要 可以
应该 已经 正在 非常 特别 一些 所有 每天 现在 以后 以前 开始 结束 继续 进行 重要 主要 基本 简单 清楚
美丽 干净 安静 热闹 快乐 幸福 欢迎 谢谢 请问 您好 再见 东方 西方 南方 北方 山水 河流 大海 森林 花园
公园 草地 动物 植物 米饭 面条 水果 苹果 牛奶 鸡蛋 茶叶 咖啡 衣服 鞋子 房子 窗户 桌子 椅子 门口 办公室
会议 报告 通知 文件 资料 数据 系统 软件 程序 用户 客户 价值 成本 利润 收入 工资 人口 地区 世界 国际
全国 各地 地方 传统 现代 未来 理想 希望 故事 语言 文字 汉语 英语 数学 物理 化学 生物 地理 医生 护士
警察 司机 作家 记者 演员 老人 年轻人 同学 邻居 顾客 游客 旅行 景点 门票 酒店 房间 预订 地址 电子邮件
超市 商店 菜市场 饭店 厨房 早餐 午餐 晚餐 蔬菜 鱼肉 米面 调料 营业 时间表 停车场 出口处 入口 楼梯 电梯
注意 禁止 吸烟 小心 地滑 请勿 触摸 排队 等候 购买 付款 发票 收据 合同 签字 日期 编号 数量 单价 金额
总计 优惠 促销 新品 上市 免费 送货 上门 安装 维修 售后 热线 咨询 办理 手续 证件 身份证 护照 签证 申请
审核 通过 完成 提交 材料 考试 成绩 毕业 大学 中学 小学 课程 教室 作业 练习 问题 答案 知识 经验 机会
责任 努力 坚持 认真 仔细 耐心 帮助 关心 照顾 尊重 理解 相信 记得 忘记 准备 打算 决定 选择 比较 变化
"""

CN_PUNCT = ['，', '。', '、', '：', '；', '！', '？']
CN_TEMPLATES = [
    '{y}年{m}月{d}日', '价格：{p}元', '第{n}页', '共计{p}元', '电话：{t}', '编号：{c}', '{n}号楼{r}室', '第{n}届{w}',
]


def load_keys():
    with open(KEYS, encoding='utf8') as f:
        return f.read().split('\n')


def english_lines(rng, count, offset_ratio):
    """Lines of 3-9 words cut from the sentences (calibration and evaluation use disjoint halves)."""
    sentences = [s.strip() for s in ENGLISH.strip().split('\n') if s.strip()]
    k = int(len(sentences) * offset_ratio)
    pool = sentences[:k] if offset_ratio < 0.5 else sentences[k:]
    extras = EXTRA_EN[: len(EXTRA_EN) // 4] if offset_ratio < 0.5 else EXTRA_EN[len(EXTRA_EN) // 4:]
    out = []
    while len(out) < count:
        if rng.random() < 0.12:
            out.append(rng.choice(extras))
            continue
        words = rng.choice(pool).split()
        n = rng.randint(3, min(9, len(words)))
        start = rng.randint(0, len(words) - n)
        out.append(' '.join(words[start:start + n]))
    return out


def chinese_lines(rng, count, words):
    """Phrases of common words (both splits draw from every word; main() keeps evaluation lines
    that are not calibration lines)."""
    pool = words
    out = []
    while len(out) < count:
        r = rng.random()
        if r < 0.12:
            t = rng.choice(CN_TEMPLATES)
            out.append(t.format(y=rng.randint(1998, 2025), m=rng.randint(1, 12), d=rng.randint(1, 28),
                                p=f'{rng.randint(3, 9999)}.{rng.randint(0, 99):02d}' if rng.random() < 0.5 else rng.randint(3, 9999),
                                n=rng.randint(1, 40), t=f'0{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}',
                                c=f'{rng.choice("ABCDEFGH")}{rng.randint(10000, 99999)}', r=rng.randint(101, 1208),
                                w=rng.choice(pool)))
            continue
        target = rng.randint(5, 15)
        s = ''
        while len(s) < target:
            s += rng.choice(pool)
            if len(s) < target - 1 and rng.random() < 0.15:
                s += rng.choice(CN_PUNCT[:2] * 3 + CN_PUNCT)
        if rng.random() < 0.3:
            s += rng.choice(['。', '！', '？', '；'])
        out.append(s)
    return out


def check_font(path, pkg):
    if not os.path.exists(path):
        sys.exit(f'missing font {path}: apt-get install {pkg}')


def render(rng, nrng, text, font_spec, size):
    path, index, _ = font_spec
    font = ImageFont.truetype(path, size, index=index)
    left, top, right, bottom = font.getbbox(text)
    pad_l, pad_r = rng.randint(4, 16), rng.randint(4, 16)
    pad_t, pad_b = rng.randint(3, 10), rng.randint(3, 10)
    w = right - left + pad_l + pad_r
    h = bottom - top + pad_t + pad_b
    base = rng.randint(205, 250)
    bg = tuple(int(min(255, max(0, base + rng.randint(-12, 12)))) for _ in range(3))
    ink = rng.randint(0, 70)
    fg = tuple(int(min(255, max(0, ink + rng.randint(-15, 15)))) for _ in range(3))
    img = Image.new('RGB', (w, h), bg)
    ImageDraw.Draw(img).text((pad_l - left, pad_t - top), text, font=font, fill=fg)
    angle = rng.uniform(-1.0, 1.0)
    if abs(angle) > 0.2:
        img = img.rotate(angle, resample=Image.BILINEAR, expand=False, fillcolor=bg)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 1.0)))
    a = np.asarray(img).astype(np.float64)
    sigma = rng.uniform(0.0, 6.0)
    a = a + nrng.normal(0.0, sigma, a.shape)
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)  # RGB, [h, w, 3]


def resize_linear(img, out_h, out_w):
    """cv2.resize(img, (out_w, out_h), interpolation=INTER_LINEAR) sampling, in float64."""
    in_h, in_w = img.shape[:2]

    def taps(out_n, in_n):
        scale = in_n / out_n
        f = (np.arange(out_n) + 0.5) * scale - 0.5
        i0 = np.floor(f).astype(np.int64)
        frac = f - i0
        # cv2: a source coordinate left of the first pixel takes the first pixel
        frac = np.where(i0 < 0, 0.0, frac)
        i0 = np.where(i0 < 0, 0, i0)
        i1 = np.minimum(i0 + 1, in_n - 1)
        i0 = np.minimum(i0, in_n - 1)
        return i0, i1, frac

    y0, y1, fy = taps(out_h, in_h)
    x0, x1, fx = taps(out_w, in_w)
    a = img.astype(np.float64)
    rows = a[y0] * (1 - fy)[:, None, None] + a[y1] * fy[:, None, None]
    out = rows[:, x0] * (1 - fx)[None, :, None] + rows[:, x1] * fx[None, :, None]
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'models-cache', 'ocr-lines'))
    ap.add_argument('--seed', type=int, default=2024)
    ap.add_argument('--calib', type=int, default=50, help='calibration lines per language')
    ap.add_argument('--eval', type=int, default=200, help='evaluation lines per language')
    ap.add_argument('--no-png', action='store_true')
    args = ap.parse_args()
    for f in LATIN_FONTS + CJK_FONTS:
        check_font(f[0], f[2])
    keys = set(load_keys())
    rng = random.Random(args.seed)
    nrng = np.random.Generator(np.random.PCG64(args.seed))

    words = [w for w in CHINESE_WORDS.split() if all(c in keys for c in w)]
    dropped = [w for w in CHINESE_WORDS.split() if not all(c in keys for c in w)]
    if dropped:
        print('words with characters outside ppocr_keys_v1.txt, left out:', ' '.join(dropped))
    words = list(dict.fromkeys(words))

    texts = []  # (split, lang, text)
    en_cal = english_lines(rng, args.calib, 0.3)
    en_eval = english_lines(rng, args.eval, 0.7)
    zh_cal = chinese_lines(rng, args.calib, words)
    zh_eval = []
    seen = set(zh_cal)
    while len(zh_eval) < args.eval:
        for t in chinese_lines(rng, args.eval, words):
            if t not in seen and len(zh_eval) < args.eval:
                seen.add(t)
                zh_eval.append(t)
    en_seen = set(en_cal)
    en_eval = [t for t in en_eval if t not in en_seen]
    while len(en_eval) < args.eval:
        for t in english_lines(rng, args.eval, 0.7):
            if t not in en_seen and len(en_eval) < args.eval:
                en_eval.append(t)
    for split, lang, lines in [('calib', 'en', en_cal), ('calib', 'zh', zh_cal), ('eval', 'en', en_eval), ('eval', 'zh', zh_eval)]:
        for t in lines:
            for c in t:
                if c != ' ' and c not in keys:
                    sys.exit(f'character {c!r} of {t!r} is not in ppocr_keys_v1.txt')
            texts.append((split, lang, t))

    os.makedirs(args.out, exist_ok=True)
    if not args.no_png:
        os.makedirs(os.path.join(args.out, 'png'), exist_ok=True)
    cls_f = open(os.path.join(args.out, 'cls.bin'), 'wb')
    rec_f = open(os.path.join(args.out, 'rec.bin'), 'wb')
    cls_off = rec_off = 0
    images = []
    for i, (split, lang, text) in enumerate(texts):
        fonts = CJK_FONTS if lang == 'zh' else LATIN_FONTS + CJK_FONTS[:1]
        font = rng.choice(fonts)
        size = rng.randint(22, 40)
        rgb = render(rng, nrng, text, font, size)
        for rotation in (0, 180):
            img = rgb if rotation == 0 else rgb[::-1, ::-1]
            bgr = np.ascontiguousarray(img[:, :, ::-1])
            h, w = bgr.shape[:2]
            ratio = w / float(h)
            entry = {'id': f'{split}-{lang}-{i:04d}-{rotation}', 'split': split, 'lang': lang, 'text': text,
                     'font': os.path.basename(font[0]), 'size': size, 'rotation': rotation, 'height': h, 'width': w}
            # classifier: 3 x 48 x 192
            cw = 192 if math.ceil(48 * ratio) > 192 else int(math.ceil(48 * ratio))
            c = resize_linear(bgr, 48, cw)
            cls_f.write(c.tobytes())
            entry['cls'] = {'offset': cls_off, 'width': cw}
            cls_off += c.nbytes
            if rotation == 0:
                # recognizer: 3 x 48 x imgW, imgW = int(48 * max(320/48, w/h))
                max_wh = max(320 / 48, ratio)
                img_w = int(48 * max_wh)
                rw = img_w if math.ceil(48 * ratio) > img_w else int(math.ceil(48 * ratio))
                r = resize_linear(bgr, 48, rw)
                rec_f.write(r.tobytes())
                entry['rec'] = {'offset': rec_off, 'width': rw, 'padTo': img_w}
                rec_off += r.nbytes
            if not args.no_png:
                Image.fromarray(img).save(os.path.join(args.out, 'png', entry['id'] + '.png'), optimize=False)
            images.append(entry)
    cls_f.close()
    rec_f.close()
    manifest = {
        'generator': 'scripts/render_text_lines.py',
        'seed': args.seed,
        'pillow': PIL.__version__,
        'freetype': features.version('freetype2'),
        'numpy': np.__version__,
        'layout': 'cls.bin / rec.bin: uint8 [48, width, 3] BGR per image at offset; model input = (x / 255 - 0.5) / 0.5 '
                  'in channel-first order, padded on the right with 0 to 192 (cls) / padTo (rec)',
        'counts': {s: sum(1 for t in texts if t[0] == s) for s in ('calib', 'eval')},
        'fonts': sorted({os.path.basename(f[0]) for f in LATIN_FONTS + CJK_FONTS}),
        'images': images,
    }
    with open(os.path.join(args.out, 'lines.json'), 'w', encoding='utf8') as f:
        json.dump(manifest, f, ensure_ascii=False, indent=0)
    print(f'{len(texts)} lines ({manifest["counts"]}), {len(images)} images -> {args.out} '
          f'(cls.bin {cls_off / 1e6:.1f} MB, rec.bin {rec_off / 1e6:.1f} MB)')


if __name__ == '__main__':
    main()
