"""`croissant.json`: the release described in the Croissant 1.0 vocabulary (MLCommons), generated
from the spec's features and the manifest, so that Croissant-aware tools can find and load it.

The repository at the release's revision tag is the one `FileObject`; each config is a `FileSet`
of its Parquet shards and a `RecordSet` with one field per column. ClassLabel columns are stored as
integers; a field's description names the labels in order.
"""

from __future__ import annotations

import json
from typing import Any

from datasets import ClassLabel, Features, List, Value

from tractatus_datasets.citation import bibtex, revision_tag
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.spec import DatasetSpec

__all__ = ["CROISSANT_NAME", "render_croissant"]

CROISSANT_NAME = "croissant.json"
_CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
_LICENSE_URLS = {
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
}
# The JSON-LD context of Croissant 1.0: schema.org as the default vocabulary, `cr:` for Croissant's own terms.
_CR_TERMS = [
    "citeAs",
    "column",
    "conformsTo",
    "equivalentProperty",
    "extract",
    "field",
    "fileProperty",
    "fileObject",
    "fileSet",
    "format",
    "includes",
    "isLiveDataset",
    "jsonPath",
    "key",
    "md5",
    "parentField",
    "path",
    "recordSet",
    "references",
    "regex",
    "repeated",
    "replace",
    "samplingRate",
    "separator",
    "source",
    "subField",
    "transform",
]
_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    **{term: f"cr:{term}" for term in _CR_TERMS},
    "conformsTo": "dct:conformsTo",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "examples": {"@id": "cr:examples", "@type": "@json"},
}
_DATA_TYPES = {
    "string": "sc:Text",
    "bool": "sc:Boolean",
    "date32": "sc:Date",
}


def _data_type(feature: Any) -> tuple[str, str]:
    """(Croissant data type, note for the description) of a non-list feature."""
    if isinstance(feature, ClassLabel):
        labels = ", ".join(f"{index} = {name}" for index, name in enumerate(feature.names))
        return "sc:Integer", f" Stored as a class label: {labels}."
    dtype = feature.dtype if isinstance(feature, Value) else "string"
    if dtype.startswith("timestamp"):
        return "sc:DateTime", ""
    if dtype.startswith(("int", "uint")):
        return "sc:Integer", ""
    if dtype.startswith("float"):
        return "sc:Float", ""
    return _DATA_TYPES.get(dtype, "sc:Text"), ""


def _fields(config: str, features: Features, descriptions: dict[str, str]) -> list[dict[str, Any]]:
    fields = []
    for name, feature in features.items():
        repeated = isinstance(feature, List)
        data_type, note = _data_type(feature.feature if repeated else feature)
        field: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{config}/{name}",
            "name": name,
            "description": (descriptions.get(name, "") + note).strip() or name,
            "dataType": data_type,
            "source": {"fileSet": {"@id": f"parquet-{config}"}, "extract": {"column": name}},
        }
        if repeated:
            field["repeated"] = True
        fields.append(field)
    return fields


def render_croissant(spec: DatasetSpec, manifest: Manifest, description: str) -> str:
    """The `croissant.json` text of this release."""
    tag = revision_tag(manifest.version)
    url = f"https://huggingface.co/datasets/{spec.repo_id}"
    distribution: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": "repo",
            "name": "repo",
            "description": f"The dataset repository at revision {tag}.",
            "contentUrl": f"{url}/tree/{tag}",
            "encodingFormat": "git+https",
            "sha256": "https://github.com/mlcommons/croissant/issues/80",  # no checksum for a repository
        }
    ]
    record_sets = []
    for config in spec.configs:
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": f"parquet-{config.name}",
                "name": f"parquet-{config.name}",
                "description": f"The Parquet shards of the {config.name} config.",
                "containedIn": {"@id": "repo"},
                "encodingFormat": "application/x-parquet",
                "includes": config.data_files_glob(),
            }
        )
        descriptions = {name: field.description or "" for name, field in config.model.model_fields.items()}
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": config.name,
                "name": config.name,
                "description": f"One row is {config.description}; {manifest.counts.rows_by_config.get(config.name, 0)} rows.",
                "field": _fields(config.name, config.features, descriptions),
            }
        )
    document = {
        "@context": _CONTEXT,
        "@type": "sc:Dataset",
        "name": spec.repo_id.split("/")[-1],
        "alternateName": spec.pretty_name,
        "description": " ".join(description.split()),
        "conformsTo": _CONFORMS_TO,
        "citeAs": bibtex(spec, manifest),
        "datePublished": manifest.release_date.isoformat(),
        "license": _LICENSE_URLS.get(spec.license, spec.license),
        "url": url,
        "version": manifest.version,
        "keywords": list(spec.tags),
        "distribution": distribution,
        "recordSet": record_sets,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
