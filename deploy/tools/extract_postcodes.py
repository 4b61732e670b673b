"""Regenerates services/places/postcodes_nl.csv: every Dutch four-digit postcode with the place
(woonplaats) it belongs to and, where the source gives it, its province. From the PyPI package
countrystatecity-postal-codes 2.0.1 (data/by-country/NL/postcodes.json; data of the
countries-states-cities database, Open Database License 1.0, so postcodes_nl.csv is under the
ODbL too). The source has no coordinates: places.py takes a postcode's point from its place
when GeoNames knows that place, else from its two-digit region.
Usage: pip download --no-deps countrystatecity-postal-codes==2.0.1, unpack, then
python deploy/tools/extract_postcodes.py path/to/NL/postcodes.json > services/places/postcodes_nl.csv"""
import csv
import json
import re
import sys

PROVINCES = {
    "DR": "Drenthe", "FL": "Flevoland", "FR": "Friesland", "GE": "Gelderland", "GR": "Groningen",
    "LI": "Limburg", "NB": "Noord-Brabant", "NH": "Noord-Holland", "OV": "Overijssel", "UT": "Utrecht",
    "ZE": "Zeeland", "ZH": "Zuid-Holland",
}

rows = []
for entry in json.load(open(sys.argv[1], encoding="utf-8")):
    if entry["countryCode"] == "NL" and re.fullmatch(r"[1-9][0-9]{3}", entry["code"]) and entry["localityName"]:
        # 'Bergen (NH)': the place's name, without the province the source adds to tell namesakes apart
        place = re.sub(r"\s*\((NH|L|NB|ZH|Gld|GLD|FR|GR|DR|OV|UT|ZE|FL|LB|GE)\)$", "", entry["localityName"].strip())
        rows.append((entry["code"], place, PROVINCES.get(entry["stateCode"] or "", "")))
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(("postcode", "place", "province"))
out.writerows(sorted(set(rows)))
