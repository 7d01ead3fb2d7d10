"""Response models of the routes shaped like other hash exchanges (issue 17).

Field names follow the exchange they imitate (StopNCII's camelCase), so that its existing
clients (pytx's `StopNCIIAPI`) read them unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from hashstop.service.stopncii import StopNCIIPage


class StopNCIIHashRecordOut(BaseModel):
    lastModtimestamp: int = Field(description="epoch seconds of the hash's last change")
    signalType: str = Field(description="ImagePDQ (our pdq) or VideoMD5 (our md5)")
    hashValue: str = Field(description="hex")
    hashStatus: str = Field(
        description="Active; Withdrawn (the victim withdrew it) or Deleted (suspended): delete "
        "your copy"
    )
    caseNumbers: dict[str, str] = Field(description="always empty: no case id leaves hashstop")
    CSPFeedbacks: list[dict[str, str]] = Field(description="always empty")


class StopNCIIFetchOut(BaseModel):
    count: int
    nextPageToken: str | None = Field(description="pass back, unchanged, for the next page")
    nextSetTimestamp: int = Field(description="the checkpoint: `startTimestamp` of the next set")
    hasMoreRecords: bool
    hashRecords: list[StopNCIIHashRecordOut]

    @classmethod
    def of(cls, page: StopNCIIPage) -> StopNCIIFetchOut:
        return cls(
            count=len(page.records),
            nextPageToken=page.next_page_token,
            nextSetTimestamp=page.next_set_timestamp,
            hasMoreRecords=page.has_more,
            hashRecords=[
                StopNCIIHashRecordOut(
                    lastModtimestamp=r.last_modified,
                    signalType=r.signal_type,
                    hashValue=r.value,
                    hashStatus=r.status,
                    caseNumbers={},
                    CSPFeedbacks=[],
                )
                for r in page.records
            ],
        )
