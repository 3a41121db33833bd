"""What the index holds, read without loading the embedding model (fast `info` and `sections`)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.ingest.documents import Section, table_of_contents
from assistant.settings import Settings
from assistant.store.generations import Generation, loads_path, open_generation


@dataclass
class Catalogue:
    generation: Generation
    sections: dict[str, Section]

    @classmethod
    def open(cls, settings: Settings) -> Catalogue:
        generation = open_generation(settings)
        return cls(generation, load_sections(generation))

    def table_of_contents(self) -> list[Section]:
        return table_of_contents(self.sections.values())

    def info(self) -> dict:
        meta = self.generation.info()
        return {
            "files": len({s.source for s in self.sections.values()}),
            "sections": len(self.sections),
            "chunks": int(self.generation.chunks.count()),
            "model": meta.model if meta else None,
            "built_at": meta.built_at if meta else None,
            "dimension": meta.dimension if meta else None,
            "generation": self.generation.name,
            "sources": sorted({s.source for s in self.sections.values()}),
        }


def load_sections(generation: Generation) -> dict[str, Section]:
    """Every section the generation holds, by id, as the ingest wrote them."""
    rows = generation.sections.get(include=["documents", "metadatas"])
    sections: dict[str, Section] = {}
    for sid, text, meta in zip(rows["ids"], rows["documents"], rows["metadatas"]):
        sections[sid] = Section(
            section_id=sid,
            title=meta["title"],
            path=loads_path(meta["path"]),
            source=meta["source"],
            text=text or "",
            order=int(meta["order"]),
            page_start=meta.get("page_start"),
            page_end=meta.get("page_end"),
        )
    return sections
