#!/usr/bin/env python3
"""Generate a fictional employee roster of Pemerintah Kabupaten Sukamaju as CSV.

Stdlib only. The rows mimic a messy SIASN export: golongan spelled in several common ways,
positions named "<functional position> <level>" as in data/career_ladders.yml, plus some
pelaksana and structural positions. Everything is fictional.

Usage:
    python3 data/samples/generate_roster.py --count 240 --out data/samples/roster.csv

The output is deterministic for a given --seed and reference date (--today, default: the
current date, which sets the "years in rank" of each row).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from dataclasses import dataclass
from typing import TextIO

COLUMNS = [
    "nip",
    "nama",
    "unit_kerja",
    "jabatan",
    "golongan",
    "tmt_golongan",
    "jenis_jabatan",
    "jenis_kelamin",
    "tanggal_lahir",
    "no_hp",
    "email",
]

EMAIL_DOMAIN = "sukamaju.go.id"
LAST_APPOINTMENT = (2025, 12)  # NIP appointment month never later than December 2025
BIRTH_YEARS = (1966, 2000)
APPOINTMENT_AGE = (21, 35)
MAX_YEARS_IN_RANK = 5.9  # tmt_golongan is 0-6 years before the reference date
SHARE_LONG_IN_RANK = 0.15  # share of rows with >= 4 years in rank (eligibility demos)

RANKS = [
    "I/a", "I/b", "I/c", "I/d",
    "II/a", "II/b", "II/c", "II/d",
    "III/a", "III/b", "III/c", "III/d",
    "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
]  # fmt: skip
RANK_INDEX = {code: i for i, code in enumerate(RANKS)}

# Unit names, identical to data/units.yml, with a relative size weight.
UNITS: list[tuple[str, int]] = [
    ("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", 22),
    ("Sekretariat Daerah", 22),
    ("Sekretariat DPRD", 8),
    ("Inspektorat Daerah", 10),
    ("Badan Perencanaan Pembangunan Daerah", 10),
    ("Badan Pendapatan Daerah", 10),
    ("Badan Pengelolaan Keuangan dan Aset Daerah", 10),
    ("Dinas Pendidikan dan Kebudayaan", 40),
    ("Dinas Kesehatan", 24),
    ("RSUD Sukamaju", 30),
    ("Dinas Komunikasi dan Informatika", 12),
    ("Dinas Pekerjaan Umum dan Penataan Ruang", 10),
    ("Dinas Perpustakaan dan Kearsipan", 8),
    ("Satuan Polisi Pamong Praja dan Pemadam Kebakaran", 10),
    ("Kecamatan Sukamaju Kota", 8),
    ("Kecamatan Sukamaju Utara", 6),
]

# Level name -> (min rank, max rank), mirroring data/career_ladders.yml.
LEVEL_RANKS: dict[str, tuple[str, str]] = {
    "Ahli Pertama": ("III/a", "III/b"),
    "Ahli Muda": ("III/c", "III/d"),
    "Ahli Madya": ("IV/a", "IV/c"),
    "Ahli Utama": ("IV/d", "IV/e"),
    "Pemula": ("II/a", "II/a"),
    "Terampil": ("II/b", "II/d"),
    "Mahir": ("III/a", "III/b"),
    "Penyelia": ("III/c", "III/d"),
}
# Relative frequency of each level in a workforce (higher levels are rarer).
LEVEL_WEIGHT = {
    "Ahli Pertama": 5, "Ahli Muda": 5, "Ahli Madya": 2.5, "Ahli Utama": 0.3,
    "Pemula": 2, "Terampil": 5, "Mahir": 4, "Penyelia": 2,
}  # fmt: skip

# Ladder key -> (position name as in the roster, levels), mirroring data/career_ladders.yml.
LADDERS: dict[str, tuple[str, list[str]]] = {
    "analis-kepegawaian": (
        "Analis Kepegawaian",
        ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"],
    ),
    "pranata-sdm-aparatur": ("Pranata SDM Aparatur", ["Terampil", "Mahir", "Penyelia"]),
    "pranata-komputer": (
        "Pranata Komputer",
        ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"],
    ),
    "pranata-komputer-terampil": ("Pranata Komputer", ["Terampil", "Mahir", "Penyelia"]),
    "arsiparis": ("Arsiparis", ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"]),
    "arsiparis-terampil": ("Arsiparis", ["Terampil", "Mahir", "Penyelia"]),
    "perencana": ("Perencana", ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"]),
    "auditor": ("Auditor", ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"]),
    "pustakawan": ("Pustakawan", ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"]),
    "pustakawan-terampil": ("Pustakawan", ["Terampil", "Mahir", "Penyelia"]),
    "analis-kebijakan": (
        "Analis Kebijakan",
        ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"],
    ),
    "widyaiswara": ("Widyaiswara", ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"]),
    "perawat": ("Perawat", ["Ahli Pertama", "Ahli Muda", "Ahli Madya"]),
    "perawat-terampil": ("Perawat", ["Terampil", "Mahir", "Penyelia"]),
    "guru": ("Guru", ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"]),
    "dokter": ("Dokter", ["Ahli Pertama", "Ahli Muda", "Ahli Madya", "Ahli Utama"]),
    "pengelola-pbj": (
        "Pengelola Pengadaan Barang/Jasa",
        ["Ahli Pertama", "Ahli Muda", "Ahli Madya"],
    ),
    "pemadam-kebakaran": ("Pemadam Kebakaran", ["Pemula", "Terampil", "Mahir", "Penyelia"]),
}

# Pelaksana positions: name -> (min rank, max rank).
PELAKSANA: dict[str, tuple[str, str]] = {
    "Pengadministrasi Umum": ("II/a", "III/b"),
    "Pengadministrasi Perkantoran": ("II/a", "III/b"),
    "Pengelola Keuangan": ("II/c", "III/c"),
    "Pengolah Data": ("II/b", "III/b"),
    "Penata Laporan Keuangan": ("III/a", "III/d"),
    "Penata Layanan Operasional": ("III/a", "III/d"),
    "Pengelola Layanan Operasional": ("II/c", "III/b"),
    "Operator Layanan Operasional": ("II/a", "II/d"),
    "Pengemudi": ("I/c", "II/b"),
}
PELAKSANA_WEIGHT = {
    "Pengadministrasi Umum": 5, "Pengadministrasi Perkantoran": 3, "Pengelola Keuangan": 4,
    "Pengolah Data": 4, "Penata Laporan Keuangan": 2, "Penata Layanan Operasional": 3,
    "Pengelola Layanan Operasional": 3, "Operator Layanan Operasional": 3, "Pengemudi": 1,
}  # fmt: skip

# Structural rank ranges by kind: Administrator and Pengawas.
ADMINISTRATOR = ("III/d", "IV/b")
PENGAWAS = ("III/b", "III/d")
COMMON_PENGAWAS = ["Kepala Subbagian Umum dan Kepegawaian", "Kepala Subbagian Keuangan"]

# Per unit: (functional ladders with weights, administrator posts, pengawas posts,
# share of functional, share of structural).
UNIT_PROFILE: dict[str, tuple[dict[str, int], list[str], list[str], float, float]] = {
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia": (
        {"analis-kepegawaian": 8, "pranata-sdm-aparatur": 5, "pranata-komputer": 2,
         "arsiparis-terampil": 1, "widyaiswara": 1},
        ["Sekretaris", "Kepala Bidang Pengembangan Kompetensi Aparatur",
         "Kepala Bidang Mutasi dan Promosi",
         "Kepala Bidang Pengadaan, Pemberhentian dan Informasi"],
        COMMON_PENGAWAS, 0.62, 0.12),
    "Sekretariat Daerah": (
        {"analis-kebijakan": 4, "perencana": 2, "pengelola-pbj": 3, "arsiparis": 1,
         "pranata-komputer-terampil": 1, "analis-kepegawaian": 1},
        ["Kepala Bagian Organisasi", "Kepala Bagian Hukum",
         "Kepala Bagian Pengadaan Barang dan Jasa", "Kepala Bagian Umum"],
        ["Kepala Subbagian Tata Usaha Pimpinan", "Kepala Subbagian Keuangan"], 0.5, 0.14),
    "Sekretariat DPRD": (
        {"analis-kebijakan": 3, "arsiparis-terampil": 1, "pranata-sdm-aparatur": 1},
        ["Kepala Bagian Persidangan dan Perundang-undangan"], COMMON_PENGAWAS, 0.45, 0.12),
    "Inspektorat Daerah": (
        {"auditor": 1},
        ["Sekretaris", "Inspektur Pembantu Wilayah I", "Inspektur Pembantu Wilayah II"],
        COMMON_PENGAWAS[:1], 0.75, 0.1),
    "Badan Perencanaan Pembangunan Daerah": (
        {"perencana": 5, "analis-kebijakan": 1},
        ["Sekretaris", "Kepala Bidang Perencanaan Ekonomi dan Infrastruktur",
         "Kepala Bidang Pemerintahan dan Pembangunan Manusia"],
        COMMON_PENGAWAS, 0.65, 0.12),
    "Badan Pendapatan Daerah": (
        {"pranata-komputer-terampil": 1, "perencana": 1},
        ["Sekretaris", "Kepala Bidang Pajak Daerah"], COMMON_PENGAWAS, 0.25, 0.12),
    "Badan Pengelolaan Keuangan dan Aset Daerah": (
        {"pengelola-pbj": 1, "perencana": 1, "pranata-komputer": 1},
        ["Sekretaris", "Kepala Bidang Anggaran", "Kepala Bidang Aset"],
        COMMON_PENGAWAS, 0.3, 0.12),
    "Dinas Pendidikan dan Kebudayaan": (
        {"guru": 14, "pranata-sdm-aparatur": 1, "perencana": 1},
        ["Sekretaris", "Kepala Bidang Pembinaan Sekolah Dasar",
         "Kepala Bidang Pembinaan Sekolah Menengah Pertama", "Kepala Bidang Kebudayaan"],
        COMMON_PENGAWAS, 0.8, 0.06),
    "Dinas Kesehatan": (
        {"dokter": 3, "perawat": 3, "perawat-terampil": 3, "perencana": 1},
        ["Sekretaris", "Kepala Bidang Kesehatan Masyarakat",
         "Kepala Bidang Pelayanan Kesehatan"],
        COMMON_PENGAWAS, 0.72, 0.08),
    "RSUD Sukamaju": (
        {"dokter": 3, "perawat": 5, "perawat-terampil": 6, "pranata-komputer-terampil": 1},
        ["Kepala Bidang Pelayanan Medik", "Kepala Bidang Keperawatan"],
        ["Kepala Subbagian Umum dan Kepegawaian", "Kepala Seksi Penunjang Medik"],
        0.78, 0.06),
    "Dinas Komunikasi dan Informatika": (
        {"pranata-komputer": 4, "pranata-komputer-terampil": 3, "analis-kebijakan": 1},
        ["Sekretaris", "Kepala Bidang Aplikasi Informatika",
         "Kepala Bidang Informasi dan Komunikasi Publik"],
        COMMON_PENGAWAS, 0.62, 0.12),
    "Dinas Pekerjaan Umum dan Penataan Ruang": (
        {"pengelola-pbj": 2, "perencana": 1},
        ["Sekretaris", "Kepala Bidang Bina Marga", "Kepala Bidang Sumber Daya Air"],
        COMMON_PENGAWAS, 0.35, 0.12),
    "Dinas Perpustakaan dan Kearsipan": (
        {"pustakawan": 2, "pustakawan-terampil": 2, "arsiparis": 2, "arsiparis-terampil": 2},
        ["Sekretaris", "Kepala Bidang Kearsipan"], COMMON_PENGAWAS, 0.65, 0.12),
    "Satuan Polisi Pamong Praja dan Pemadam Kebakaran": (
        {"pemadam-kebakaran": 1},
        ["Sekretaris", "Kepala Bidang Pemadam Kebakaran dan Penyelamatan"],
        COMMON_PENGAWAS[:1], 0.55, 0.1),
    "Kecamatan Sukamaju Kota": (
        {"analis-kebijakan": 1, "pranata-sdm-aparatur": 1},
        ["Camat Sukamaju Kota", "Sekretaris Camat"],
        ["Kepala Seksi Pemerintahan", "Kepala Seksi Ketenteraman dan Ketertiban Umum"],
        0.2, 0.2),
    "Kecamatan Sukamaju Utara": (
        {"analis-kebijakan": 1},
        ["Camat Sukamaju Utara", "Sekretaris Camat"],
        ["Kepala Seksi Pemerintahan", "Kepala Seksi Pelayanan Umum"],
        0.15, 0.2),
}  # fmt: skip


@dataclass(frozen=True)
class NameGroup:
    """Naming customs of one region: given names per sex and second/family names."""

    weight: int
    male: tuple[str, ...]
    female: tuple[str, ...]
    second_male: tuple[str, ...]  # second or family names used for men
    second_female: tuple[str, ...]  # ... and for women
    single_share: float = 0.0  # share of one-word names (common among older Javanese)
    prefix_male: tuple[str, ...] = ()  # e.g. Balinese birth-order names
    prefix_female: tuple[str, ...] = ()


NAME_GROUPS: dict[str, NameGroup] = {
    "jawa": NameGroup(
        34,
        ("Agus", "Budi", "Bambang", "Joko", "Slamet", "Heru", "Wahyu", "Eko", "Teguh", "Sigit",
         "Dimas", "Galih", "Bayu", "Anton", "Nanang", "Imam", "Sutrisno", "Hadi", "Priyo"),
        ("Siti", "Sri", "Endang", "Dewi", "Retno", "Tri", "Yuni", "Ratna", "Wulan", "Rini",
         "Susanti", "Puspita", "Kartika", "Lestari", "Ani", "Ernawati", "Dwi", "Sulastri"),
        ("Santoso", "Wibowo", "Prasetyo", "Susanto", "Nugroho", "Setiawan", "Kurniawan",
         "Saputro", "Wijaya", "Gunawan", "Kartono", "Purnomo", "Hidayat", "Widodo", "Harjono"),
        ("Rahayu", "Handayani", "Wulandari", "Lestari", "Astuti", "Utami", "Maharani",
         "Anggraini", "Sumarni", "Kusumawati", "Wahyuningsih", "Purwaningsih", "Setyowati"),
        single_share=0.18,
    ),
    "sunda": NameGroup(
        20,
        ("Asep", "Dadang", "Ujang", "Cecep", "Deden", "Yayan", "Dede", "Ade", "Iwan", "Ujang",
         "Encep", "Rudi", "Agus", "Jajang"),
        ("Euis", "Neng", "Iis", "Titin", "Yanti", "Nining", "Lilis", "Cucu", "Rina", "Elis",
         "Dewi", "Nenden", "Wiwin"),
        ("Suryana", "Supriatna", "Permana", "Hermawan", "Kusnadi", "Sopandi", "Saepudin",
         "Hidayat", "Sumarna", "Rukmana", "Gunawan"),
        ("Nurhayati", "Rosmawati", "Komalasari", "Kurniasih", "Maryani", "Suryani", "Rahmawati",
         "Sulastri", "Mulyani"),
        single_share=0.06,
    ),
    "nasional": NameGroup(
        15,
        ("Muhammad Rizky", "Fajar", "Ilham", "Yusuf", "Rahmat", "Reza", "Andika", "Satria",
         "Yoga", "Fauzan", "Arif", "Rizal", "Hendra", "Aditya", "Fikri"),
        ("Annisa", "Aisyah", "Nurul", "Nadia", "Rizka", "Intan", "Citra", "Anggun", "Indah",
         "Maya", "Ayu", "Novi", "Devi", "Winda", "Dian", "Eka", "Febri", "Putri"),
        ("Ramadhan", "Hakim", "Fauzi", "Firmansyah", "Pratama", "Saputra", "Hidayatullah",
         "Kurniawan", "Maulana", "Syahputra"),
        ("Rahmawati", "Safitri", "Maharani", "Fitriani", "Oktaviani", "Permatasari", "Amalia",
         "Lestari", "Anjani", "Puspitasari"),
    ),
    "batak": NameGroup(
        8,
        ("Hotman", "Parulian", "Tigor", "Binsar", "Togar", "Martua", "Jonathan", "Samuel",
         "Ronald", "Daniel", "Rizal"),
        ("Butet", "Rotua", "Romauli", "Lasma", "Debora", "Sarma", "Maria", "Dameria", "Rosita"),
        ("Siregar", "Nasution", "Harahap", "Simanjuntak", "Sitompul", "Lubis", "Hutapea",
         "Manurung", "Sembiring", "Ginting", "Tarigan", "Sinaga", "Panjaitan", "Pardede"),
        ("Siregar", "Nasution", "Harahap", "Simanjuntak", "Sitompul", "Lubis", "Hutapea",
         "Manurung", "Sembiring", "Ginting", "Tarigan", "Sinaga", "Panjaitan", "Pardede"),
    ),
    "minang": NameGroup(
        7,
        ("Afrizal", "Fadli", "Syahrul", "Irwan", "Taufik", "Zulkifli", "Hendra", "Yusrizal",
         "Rizal", "Darmawan"),
        ("Rahma", "Fitri", "Yulia", "Rosnita", "Elvira", "Yusnidar", "Desi", "Nofriyanti",
         "Rahmi"),
        ("Chaniago", "Piliang", "Koto", "Sikumbang", "Jambak", "Tanjung", "Syahputra", "Malin"),
        ("Chaniago", "Piliang", "Koto", "Sikumbang", "Jambak", "Tanjung", "Yanti", "Putri"),
    ),
    "bugis": NameGroup(
        6,
        ("Andi Muhammad", "Arung", "Akbar", "Hasanuddin", "Syamsul", "Ridwan", "Irfan",
         "Andi Ahmad", "Baso", "Muh. Ikhsan"),
        ("Andi Nurul", "Sitti", "Hasnah", "Hasnawati", "Haslinda", "Rosmini", "Andi Reski",
         "Nurhaedah", "Sumarni"),
        ("Rauf", "Mappanyukki", "Pawelloi", "Haris", "Sulaiman", "Mattalatta", "Amir", "Latif",
         "Sanusi"),
        ("Rauf", "Haris", "Sulaiman", "Amir", "Latif", "Sanusi", "Hamzah", "Syam"),
    ),
    "bali": NameGroup(
        6,
        ("Suarjana", "Wirawan", "Pradnyana", "Arsana", "Sudiarta", "Astawa", "Suastika",
         "Dharmawan", "Adnyana", "Sukadana"),
        ("Ariani", "Sukmawati", "Wahyuni", "Puspadewi", "Sudarmini", "Suryaningsih",
         "Widiastuti", "Candra Dewi"),
        (),
        (),
        prefix_male=("I Made", "I Ketut", "I Wayan", "I Nyoman", "I Gede", "I Putu",
                     "I Komang", "I Kadek"),
        prefix_female=("Ni Made", "Ni Ketut", "Ni Wayan", "Ni Nyoman", "Ni Luh", "Ni Putu",
                       "Ni Komang", "Ni Kadek"),
    ),
    "timur": NameGroup(
        4,
        ("Yohanes", "Martinus", "Paulus", "Stefanus", "Bonifasius", "Fransiskus", "Kristian",
         "Yosef"),
        ("Yohana", "Maria", "Theresia", "Veronika", "Meiliana", "Agustina", "Katarina"),
        ("Wenas", "Rumondor", "Lumintang", "Mandagi", "Sondakh", "Pattiasina", "Latuheru",
         "Fernandez", "Da Costa"),
        ("Wenas", "Rumondor", "Lumintang", "Mandagi", "Sondakh", "Pattiasina", "Latuheru",
         "Fernandez"),
    ),
}  # fmt: skip
# Name tokens not used for e-mail addresses (Balinese "I"/"Ni", Bugis "Andi", abbreviations).
SKIP_EMAIL_TOKENS = {"i", "ni", "andi", "muh."}

PHONE_PREFIXES = ["11", "12", "13", "21", "22", "23", "52", "53", "55", "56", "57", "58",
                  "77", "78", "81", "82", "95", "96", "97", "98"]  # fmt: skip


@dataclass(frozen=True)
class Position:
    jabatan: str
    jenis: str  # fungsional | pelaksana | struktural
    min_rank: str
    max_rank: str
    entry_ranks: tuple[str, ...]  # possible ranks at appointment as CPNS
    titles: tuple[str, ...]  # academic titles typical for the position ("" = none)
    ladder: str | None = None


def _ladder_titles(ladder: str, terampil: bool) -> tuple[str, ...]:
    if ladder == "guru":
        return ("S.Pd.", "S.Pd.", "S.Pd., M.Pd.", "S.Pd.I.", "S.Si.")
    if ladder == "dokter":
        return ("dr.", "dr.", "dr.|M.Kes.", "dr.|Sp.PD.", "dr.|Sp.A.")
    if ladder.startswith("perawat"):
        return ("A.Md.Kep.",) if terampil else ("Ns.|S.Kep.", "S.Kep., Ns.", "Ns.|S.Kep., M.Kep.")
    if ladder.startswith("pranata-komputer"):
        return ("A.Md.", "A.Md.Kom.", "") if terampil else ("S.Kom.", "S.T.", "S.Kom., M.Kom.")
    if ladder == "auditor":
        return ("S.E.", "S.E., Ak.", "S.E., M.Ak.", "S.H.")
    if ladder.startswith("pustakawan"):
        return ("A.Md.", "") if terampil else ("S.IP.", "S.Hum.", "S.IIP.")
    if ladder.startswith("arsiparis"):
        return ("A.Md.", "") if terampil else ("S.IP.", "S.Sos.", "S.A.P.")
    if ladder == "pemadam-kebakaran":
        return ("", "", "")
    if terampil:
        return ("A.Md.", "", "")
    return (
        "S.E.",
        "S.Sos.",
        "S.H.",
        "S.AP.",
        "S.Psi.",
        "S.Si.",
        "S.E., M.M.",
        "S.T.",
        "S.STP.",
        "S.Sos., M.Si.",
    )


def _positions_for_ladder(ladder: str) -> list[tuple[Position, float]]:
    name, levels = LADDERS[ladder]
    out: list[tuple[Position, float]] = []
    for level in levels:
        lo, hi = LEVEL_RANKS[level]
        terampil = level in {"Pemula", "Terampil", "Mahir", "Penyelia"}
        entry: tuple[str, ...]
        if level == "Pemula":
            entry = ("II/a",)
        elif terampil:
            entry = ("II/a", "II/c", "II/c")  # senior high school or D-III intake
        elif ladder == "dokter":
            entry = ("III/b",)
        else:
            entry = ("III/a",)
        pos = Position(
            f"{name} {level}", "fungsional", lo, hi, entry, _ladder_titles(ladder, terampil), ladder
        )
        out.append((pos, LEVEL_WEIGHT[level]))
    return out


def _rank_range(lo: str, hi: str) -> list[str]:
    return RANKS[RANK_INDEX[lo] : RANK_INDEX[hi] + 1]


def _add_years(day: dt.date, years: float) -> dt.date:
    return day + dt.timedelta(days=round(years * 365.25))


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _promotion_date(day: dt.date) -> dt.date:
    """Latest promotion period start on or before `day`.

    Since 2024 there are six periods (1 Feb, Apr, Jun, Aug, Oct, Dec); before that only
    1 April and 1 October.
    """
    months = (2, 4, 6, 8, 10, 12) if day.year >= 2024 else (4, 10)
    earlier = [m for m in months if m <= day.month]
    if earlier:
        return dt.date(day.year, earlier[-1], 1)
    if day.year - 1 >= 2024:
        return dt.date(day.year - 1, 12, 1)
    return dt.date(day.year - 1, 10, 1)


def _spell_golongan(rng: random.Random, code: str) -> str:
    roman, ruang = code.split("/")
    digit = {"I": "1", "II": "2", "III": "3", "IV": "4"}[roman]
    roll = rng.random()
    if roll < 0.74:
        return code
    if roll < 0.88:
        return f"{digit}{ruang}"
    return f"{roman} {ruang}"


class _RosterBuilder:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        last_y, last_m = LAST_APPOINTMENT
        self.last_appointment = min(_month_start(today), dt.date(last_y, last_m, 1))
        self.nips: set[str] = set()
        self.emails: set[str] = set()
        self.used_posts: set[tuple[str, str]] = set()

    # -- choices ---------------------------------------------------------------------
    def _pick_position(self, unit: str) -> Position:
        rng = self.rng
        ladders, admins, pengawas, share_fung, share_struct = UNIT_PROFILE[unit]
        roll = rng.random()
        if roll < share_struct:
            free = [(p, ADMINISTRATOR) for p in admins if (unit, p) not in self.used_posts]
            free += [(p, PENGAWAS) for p in pengawas if (unit, p) not in self.used_posts]
            if free:
                post, (lo, hi) = rng.choice(free)
                self.used_posts.add((unit, post))
                struct_titles = (
                    "S.STP., M.Si.",
                    "S.Sos., M.AP.",
                    "S.E., M.M.",
                    "S.H., M.H.",
                    "S.T., M.T.",
                    "S.Kom.",
                    "S.IP., M.Si.",
                )
                return Position(post, "struktural", lo, hi, ("III/a",), struct_titles)
        if roll < share_struct + share_fung:
            options: list[tuple[Position, float]] = []
            for ladder, weight in ladders.items():
                for pos, level_weight in _positions_for_ladder(ladder):
                    options.append((pos, weight * level_weight))
            return rng.choices([p for p, _ in options], [w for _, w in options])[0]
        name = rng.choices(list(PELAKSANA), [PELAKSANA_WEIGHT[p] for p in PELAKSANA])[0]
        lo, hi = PELAKSANA[name]
        entry: tuple[str, ...]
        titles: tuple[str, ...]
        if RANK_INDEX[lo] >= RANK_INDEX["III/a"]:
            entry, titles = ("III/a",), ("S.E.", "S.Ak.", "S.Sos.", "S.AP.", "S.H.")
        elif RANK_INDEX[lo] >= RANK_INDEX["II/c"]:
            entry, titles = ("II/a", "II/c"), ("A.Md.", "A.Md.Ak.", "", "S.E.")
        elif RANK_INDEX[lo] < RANK_INDEX["II/a"]:
            entry, titles = (lo,), ("",)
        else:
            entry, titles = ("II/a",), ("", "", "", "A.Md.")
        return Position(name, "pelaksana", lo, hi, entry, titles)

    def _pick_sex(self, pos: Position) -> str:
        female_share = 0.5
        if pos.ladder in {"perawat", "perawat-terampil", "guru"}:
            female_share = 0.75
        elif pos.ladder == "pemadam-kebakaran" or pos.jabatan == "Pengemudi":
            female_share = 0.05
        return "P" if self.rng.random() < female_share else "L"

    def _make_name(
        self, sex: str, titles: tuple[str, ...], always_titled: bool
    ) -> tuple[str, str, str]:
        """Return (full name with titles, e-mail first token, e-mail last token)."""
        rng = self.rng
        groups = list(NAME_GROUPS.values())
        group = rng.choices(groups, [g.weight for g in groups])[0]
        male = sex == "L"
        given = rng.choice(group.male if male else group.female)
        prefixes = group.prefix_male if male else group.prefix_female
        seconds = [x for x in (group.second_male if male else group.second_female) if x != given]
        if prefixes:
            core = f"{rng.choice(prefixes)} {given}"
        elif not seconds or rng.random() < group.single_share:
            core = given
        else:
            core = f"{given} {rng.choice(seconds)}"
        tokens = [t for t in core.split() if t.lower() not in SKIP_EMAIL_TOKENS] or core.split()
        email_first, email_last = tokens[0], tokens[-1]
        title = rng.choice(titles) if always_titled or rng.random() < 0.85 else ""
        front, _, back = title.rpartition("|") if "|" in title else ("", "", title)
        if back in {"dr.", "Ns."}:
            front, back = back, ""
        name = f"{front} {core}".strip()
        if back:
            name = f"{name}, {back}"
        return name, email_first, email_last

    def _unique_email(self, first: str, last: str) -> str:
        base = f"{first}.{last}".lower() if first != last else first.lower()
        base = "".join(ch for ch in base if ch.isascii() and (ch.isalnum() or ch == "."))
        candidate, n = base, 1
        while candidate in self.emails:
            n += 1
            candidate = f"{base}{n}"
        self.emails.add(candidate)
        return f"{candidate}@{EMAIL_DOMAIN}"

    def _phone(self) -> str:
        rest = "".join(str(self.rng.randrange(10)) for _ in range(self.rng.choice((7, 8))))
        return "08" + self.rng.choice(PHONE_PREFIXES) + rest

    def _serial(self) -> int:
        # Most serials are small (a batch of appointees per month), a few are large.
        if self.rng.random() < 0.85:
            return self.rng.randint(1, 30)
        return self.rng.randint(31, 999)

    # -- one row -----------------------------------------------------------------------
    def row(self, unit: str) -> dict[str, str]:
        rng = self.rng
        pos = self._pick_position(unit)
        lowest_entry = min(RANK_INDEX[e] for e in pos.entry_ranks)
        ranks = [
            r for r in _rank_range(pos.min_rank, pos.max_rank) if RANK_INDEX[r] >= lowest_entry
        ]
        # Retirement age is 58 for most positions, 60 for Ahli Madya/Utama and teachers.
        senior = pos.jabatan.endswith(("Ahli Madya", "Ahli Utama")) or pos.ladder == "guru"
        min_birth_year = max(BIRTH_YEARS[0], self.today.year - (59 if senior else 57))
        earliest_tmt = _month_start(_add_years(self.today, -MAX_YEARS_IN_RANK))
        for _ in range(1000):
            rank = rng.choice(ranks)
            entry = rng.choice([e for e in pos.entry_ranks if RANK_INDEX[e] <= RANK_INDEX[rank]])
            steps = RANK_INDEX[rank] - RANK_INDEX[entry]
            if rng.random() < SHARE_LONG_IN_RANK:
                years_in_rank = rng.uniform(4.0, MAX_YEARS_IN_RANK)
            else:
                years_in_rank = rng.uniform(0.1, 3.95)
            tmt = _month_start(_add_years(self.today, -years_in_rank))
            if steps > 0:
                tmt = _promotion_date(tmt)
            if tmt < earliest_tmt:
                continue
            if steps == 0:
                # Still in the entry rank: the rank dates from the CPNS appointment.
                appointed = min(tmt, self.last_appointment)
                tmt = appointed
                if tmt < earliest_tmt:
                    continue
            else:
                service_before = sum(rng.uniform(2.0, 4.5) for _ in range(steps))
                appointed = _month_start(_add_years(tmt, -service_before))
                appointed = min(appointed, self.last_appointment)
            age = rng.randint(*APPOINTMENT_AGE)
            if entry in {"III/a", "III/b"}:
                age = max(age, 22 if entry == "III/a" else 24)
            # Completed age at appointment is exactly `age`.
            latest_birth = appointed.replace(year=appointed.year - age)
            birth = latest_birth - dt.timedelta(days=rng.randint(1, 364))
            if min_birth_year <= birth.year <= BIRTH_YEARS[1]:
                break
        else:  # pragma: no cover - the constraints above always leave room
            raise RuntimeError(f"cannot place {pos.jabatan} in {unit}")

        sex = self._pick_sex(pos)
        prefix = f"{birth:%Y%m%d}{appointed:%Y%m}{'1' if sex == 'L' else '2'}"
        nip = prefix + f"{self._serial():03d}"
        while nip in self.nips:
            nip = prefix + f"{rng.randint(1, 999):03d}"
        self.nips.add(nip)
        always_titled = pos.ladder in {"dokter", "perawat"}
        name, email_first, email_last = self._make_name(sex, pos.titles, always_titled)
        return {
            "nip": nip,
            "nama": name,
            "unit_kerja": unit,
            "jabatan": pos.jabatan,
            "golongan": _spell_golongan(rng, rank),
            "tmt_golongan": tmt.isoformat(),
            "jenis_jabatan": pos.jenis,
            "jenis_kelamin": sex,
            "tanggal_lahir": birth.isoformat(),
            "no_hp": self._phone(),
            "email": self._unique_email(email_first, email_last),
        }


def _unit_quotas(n: int) -> list[str]:
    """Split n rows over the units by weight (largest remainder), biggest units first."""
    total = sum(w for _, w in UNITS)
    raw = [(name, n * w / total) for name, w in UNITS]
    counts = {name: int(share) for name, share in raw}
    leftover = n - sum(counts.values())
    for name, _share in sorted(raw, key=lambda item: item[1] - int(item[1]), reverse=True):
        if leftover <= 0:
            break
        counts[name] += 1
        leftover -= 1
    return [name for name, _ in UNITS for _ in range(counts[name])]


def generate_roster(n: int, seed: int = 7, *, today: dt.date | None = None) -> list[dict[str, str]]:
    """Return n fictional employee rows (column order: COLUMNS), deterministic per seed/day."""
    if n < 0:
        raise ValueError("n must not be negative")
    builder = _RosterBuilder(seed, today or dt.date.today())
    units = _unit_quotas(n)
    builder.rng.shuffle(units)
    return [builder.row(unit) for unit in units]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=240, help="number of rows (default 240)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", help="write to this file instead of stdout")
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=None,
        help="reference date YYYY-MM-DD for 'years in rank' (default: today)",
    )
    args = parser.parse_args(argv)
    rows = generate_roster(args.count, args.seed, today=args.today)
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as handle:
            _write(handle, rows)
    else:
        _write(sys.stdout, rows)
    return 0


def _write(handle: TextIO, rows: list[dict[str, str]]) -> None:
    writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


if __name__ == "__main__":
    raise SystemExit(main())
