"""Harmless overlay text, per modality: what scanners print besides the patient's identity.

Technique values repeat the scene's own facts (the window printed is the window in the header).
Numbers stay short and never take the shape of a date or a long identifier, except the few
deliberate look-alikes listed in the dataset card (zero-padded image numbers, 5-digit serials,
times of day). Banner text (times, presets, heart rate, frame rate) is drawn for images with and
without PHI alike, so a banner's presence says nothing about the label.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from phibench_plugins.datasets.synthetic.content import Field, fmt_time, pick

DEVICES = {
    "CT": ["SOMATOM Definition AS", "SOMATOM Force", "Aquilion ONE", "Revolution CT",
           "Brilliance 64", "Optima CT660", "syngo CT VB20A"],
    "MR": ["MAGNETOM Skyra", "MAGNETOM Vida", "SIGNA Premier", "Ingenia 3.0T", "Achieva",
           "SIGNA HDxt", "syngo MR E11"],
    "XR": ["Carestream DRX-1", "FCR CAPSULA", "Ysio Max", "DigitalDiagnost", "AXIOM Aristos",
           "Definium 8000"],
    "US": ["LOGIQ E10", "EPIQ 7", "ACUSON Sequoia", "Aplio i800", "Voluson E8"],
    "XA": ["Artis zee", "Allura Xper", "Innova IGS 530", "AXIOM Artis"],
    "NM": ["Symbia Intevo", "Discovery NM630", "BrightView XCT", "Infinia Hawkeye"],
    "OT": ["Viewer 2.1", "PACS Workstation", "RadiAnt", "Web Viewer v4.2", "OsiriX MD"],
}


def _window(rng: np.random.Generator, c: float, w: float) -> str:
    c, w = int(round(c)), int(round(w))
    return pick(rng, [f"W {w} L {c}", f"WW {w} WL {c}", f"W:{w} L:{c}", f"C {c} W {w}",
                      f"WL: {c} WW: {w}"])


def _series(rng: np.random.Generator) -> str:
    se, im = int(rng.integers(1, 12)), int(rng.integers(1, 240))
    return pick(rng, [f"Se: {se} Im: {im}", f"Se {se}/Im {im}", f"IMG {im:04d}", f"Image {im}",
                      f"S{se} I{im}", f"Im: {im}/{im + int(rng.integers(0, 200))}",
                      f"Ser {se} Img {im}"])


def _scale(fields: list[Field], rng: np.random.Generator, cm: int) -> None:
    fields.append(Field(pick(rng, [f"{cm} cm", f"{cm}cm", f"{cm * 10} mm"]), False, "SCALE",
                        slot=pick(rng, ["br", "bl", "rm"])))


def _banner(modality: str, facts: dict[str, Any], rng: np.random.Generator) -> list[Field]:
    """Harmless banner fields: what consoles print in the top row besides the patient."""
    key = {"CR": "XR", "DX": "XR"}.get(modality, modality)
    options = [Field(pick(rng, DEVICES[key]), False, "DEVICE", "row"),
               Field(pick(rng, ["Page 1/1", "1/1", "2D", "Exam 1", "Live", "Frz"]), False,
                     "OTHER_TEXT", "row")]
    if modality == "US":
        options += [Field(str(facts["preset"]), False, "OTHER_TEXT", "row"),
                    Field(pick(rng, [f"HR {int(rng.integers(48, 120))} bpm",
                                     f"HR: {int(rng.integers(48, 120))}",
                                     f"{int(rng.integers(48, 120))} bpm"]), False, "TECHNIQUE",
                          "row"),
                    Field(f"{facts['probe']} {pick(rng, ['TIS', 'TIB'])} "
                          f"{rng.uniform(0.1, 0.8):.1f} MI {rng.uniform(0.4, 1.4):.1f}", False,
                          "TECHNIQUE", "row"),
                    Field(pick(rng, [f"{facts['fps']}Hz", f"FR {facts['fps']}",
                                     f"{facts['fps']} fps"]), False, "TECHNIQUE", "row")]
    k = int(rng.integers(1, 4))
    return [options[int(i)] for i in sorted(rng.choice(len(options), min(k, len(options)),
                                                       replace=False))]


def annotations(modality: str, facts: dict[str, Any], rng: np.random.Generator,
                frames: int, banner: bool = False) -> list[Field]:
    """Non-PHI fields for one image (may be empty for a few images); ``banner``: the image has
    a top banner row (see :func:`~.content.phi_fields`), which gets harmless fields too."""
    f: list[Field] = []
    add = f.append
    if banner:
        f += _banner(modality, facts, rng)
    if rng.random() < (0.6 if banner else 0.2):  # a time of day, harmless without the date
        add(Field(fmt_time(rng), False, "OTHER_TEXT",
                  "row" if banner else pick(rng, ["tr", "tl", "br", "bl"])))
    tech = pick(rng, ["bl", "br", "br"])
    if modality == "CT":
        c, w = facts["window"]
        add(Field(_window(rng, c, w), False, "TECHNIQUE", tech))
        add(Field(pick(rng, [f"kV {facts['kvp']}", f"{facts['kvp']} kV", f"KVP: {facts['kvp']}"]),
                  False, "TECHNIQUE", tech))
        add(Field(pick(rng, [f"mA {facts['mas']}", f"{facts['mas']} mAs", f"mAs: {facts['mas']}"]),
                  False, "TECHNIQUE", tech))
        add(Field(pick(rng, [f"ST {facts['thickness']}mm", f"Thk: {facts['thickness']} mm",
                             f"{facts['thickness']} mm"]), False, "TECHNIQUE", tech))
        if rng.random() < 0.5:
            add(Field(pick(rng, [facts["kernel"], f"FOV {facts['fov'] / 10:.1f} cm", "Tilt: 0.0",
                                 f"Loc: {rng.uniform(-400, 200):.1f}"]), False, "TECHNIQUE", tech))
        add(Field(_series(rng), False, "SEQUENCE", pick(rng, ["tr", "br", "tl"])))
    elif modality == "MR":
        c, w = facts["window"]
        tr, te = facts["tr"], facts["te"]
        add(Field(pick(rng, [f"TR {tr}.0", f"TR: {tr}", f"TR/TE {tr}/{te}"]), False, "TECHNIQUE",
                  tech))
        add(Field(pick(rng, [f"TE {facts['te']}.0", f"TE: {facts['te']}", f"FA {facts['fa']}"]),
                  False, "TECHNIQUE", tech))
        add(Field(pick(rng, [f"ST {facts['thickness']}.0mm", f"{facts['thickness']}.0 thk",
                             f"Matrix {facts['matrix']}", facts["field"]]),
                  False, "TECHNIQUE", tech))
        add(Field(_window(rng, c, w), False, "TECHNIQUE", pick(rng, ["bl", "br"])))
        add(Field(_series(rng), False, "SEQUENCE", pick(rng, ["tr", "br", "tl"])))
        if rng.random() < 0.5:
            add(Field(pick(rng, [f"{facts['weight']} TSE", f"AX {facts['weight']}", "HeadNeck 20",
                                 f"NEX {pick(rng, [1, 2, 3])}"]), False, "TECHNIQUE", tech))
    elif modality in ("CR", "DX"):
        side = pick(rng, ["L", "R", "LEFT", "RIGHT", "L", "R"])
        add(Field(side, False, "LATERALITY", pick(rng, ["free", "tl", "tr", "lm", "rm"]),
                  scale=float(rng.uniform(1.6, 2.4))))
        add(Field(facts["view"] if rng.random() < 0.6 else f"CHEST {facts['view']}", False, "VIEW",
                  pick(rng, ["tr", "tc", "tl"])))
        if facts.get("portable") or rng.random() < 0.3:
            add(Field(pick(rng, ["PORTABLE", "ERECT", "SUPINE", "UPRIGHT", "SEMI-ERECT"]), False,
                      "VIEW", pick(rng, ["tr", "tl", "bc"])))
        add(Field(pick(rng, [f"kVp {facts['kvp']} mAs {facts['mas']}", f"{facts['kvp']} kV",
                             f"EI {facts['ei']}", f"S {int(rng.integers(80, 600))}"]),
                  False, "TECHNIQUE", tech))
    elif modality == "US":
        add(Field(facts["probe"], False, "DEVICE", pick(rng, ["tl", "tr"])))
        ti = f"{pick(rng, ['TIs', 'TIb'])} {rng.uniform(0.1, 0.8):.1f}"
        for text in (f"MI {rng.uniform(0.4, 1.4):.1f}", ti, f"Gn {int(rng.integers(30, 70))}",
                     f"DR {int(rng.integers(50, 80))}", f"FR {facts['fps']}Hz"):
            if rng.random() < 0.7:
                add(Field(text, False, "TECHNIQUE", "tr" if tech != "bl" else "tl"))
        depth = facts["depth_cm"]
        add(Field(pick(rng, [f"D {depth}.0cm", f"{depth} cm"]), False, "SCALE", tech))
        add(Field(facts["preset"], False, "OTHER_TEXT", pick(rng, ["tl", "tr"])))
        if rng.random() < 0.6:
            add(Field(pick(rng, ["RT KIDNEY", "LT KIDNEY", "LIVER", "GB", "RUQ", "LT LOBE", "SAG",
                                 "TRV", "LONG"]), False, "OTHER_TEXT",
                      pick(rng, ["bl", "bc", "free"])))
        _, ay = facts["apex"]
        for cm in (5, 10, 15):
            y = int(ay + cm * facts["px_per_cm"])
            add(Field(str(cm), False, "SCALE", "at", at=(int(facts["tick_x"]) + 24, y), scale=0.85))
    elif modality == "XA":
        a1, n1, a2, n2 = facts["angles"]
        add(Field(pick(rng, [f"{a1} {n1}  {a2} {n2}", f"{a1}: {n1} {a2}: {n2}"]), False, "VIEW",
                  pick(rng, ["bl", "br"])))
        fps = facts["fps"]
        add(Field(pick(rng, [f"{fps} fps", f"{fps} f/s"]), False, "TECHNIQUE", tech))
        add(Field(pick(rng, [f"kV {facts['kvp']} mA {facts['ma']}", f"FD {facts['fd']} cm"]),
                  False, "TECHNIQUE", tech))
        if rng.random() < 0.5:
            add(Field(pick(rng, ["RCA", "LCA", "LAD", "CX"]), False, "OTHER_TEXT", "tl"))
    elif modality == "NM":
        add(Field(facts["isotope"], False, "TECHNIQUE", tech))
        add(Field(pick(rng, [facts["collimator"], f"{facts['duration']} s/fr"]), False,
                  "TECHNIQUE", tech))
    elif modality == "OT":
        c, w = facts["window"]
        add(Field(_window(rng, c, w), False, "TECHNIQUE", "bl"))
        add(Field(pick(rng, ["Zoom 1.5", "Zoom 150%", "1:1", "Zoom: 2.0x"]), False, "TECHNIQUE",
                  "br"))
        add(Field(_series(rng), False, "SEQUENCE", "tr"))
        add(Field(pick(rng, ["File  Edit  View  Tools", "MPR", "3D", "Layout 1x1", "Measure"]),
                  False, "OTHER_TEXT", "bar"))
    if modality in ("CT", "MR") and rng.random() < 0.5:
        for letter, slot in zip(("A", "P", "R", "L"), ("tc", "bc", "lm", "rm")):
            add(Field(letter, False, "VIEW" if letter in "AP" else "LATERALITY", slot, scale=1.2))
    if modality in ("NM", "XA") and frames > 1:
        fmt = pick(rng, ["Fr {k}/{n}", "{k}/{n}", "Frame {k}"])
        for k in range(frames):
            if modality == "NM":
                label = facts["views"][k]
                cat = "TECHNIQUE" if label[0].isdigit() else "VIEW"
            else:
                label, cat = fmt.format(k=k + 1, n=frames), "SEQUENCE"
            add(Field(label, False, cat, "tc" if modality == "NM" else "br", frame=k))
    key = {"CR": "XR", "DX": "XR"}.get(modality, modality)
    if rng.random() < 0.55:
        add(Field(pick(rng, DEVICES[key]), False, "DEVICE", pick(rng, ["bl", "br", "tr", "vert"])))
    if modality in ("CT", "MR", "CR", "DX") and rng.random() < 0.35:
        _scale(f, rng, pick(rng, [5, 10]))
    return f
