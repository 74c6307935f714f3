"""Retrieval-augmented generation: documents → pages → chunks → embeddings → Chroma → cited hits.

Importing this package is cheap: pypdf, python-docx, onnxruntime, boto3, httpx and chromadb load
when first used.
"""

from __future__ import annotations

from agentflow.rag.chunking import Chunk, TokenCounter, chunk_pages
from agentflow.rag.embeddings import (
    BedrockTitanEmbeddings,
    EmbeddingProvider,
    LocalMiniLM,
    OpenAIEmbeddings,
    chunk_token_limit,
    embedding_provider,
    openai_from_secret,
)
from agentflow.rag.extract import (
    DOCX,
    MARKDOWN,
    PDF,
    SUPPORTED_TYPES,
    TEXT,
    DocumentError,
    Page,
    extract_pages,
    sniff_content_type,
)
from agentflow.rag.vectorstore import Hit, VectorStore, collection_name

__all__ = [
    "DOCX",
    "MARKDOWN",
    "PDF",
    "SUPPORTED_TYPES",
    "TEXT",
    "BedrockTitanEmbeddings",
    "Chunk",
    "DocumentError",
    "EmbeddingProvider",
    "Hit",
    "LocalMiniLM",
    "OpenAIEmbeddings",
    "Page",
    "TokenCounter",
    "VectorStore",
    "chunk_pages",
    "chunk_token_limit",
    "collection_name",
    "embedding_provider",
    "extract_pages",
    "openai_from_secret",
    "sniff_content_type",
]
