"""The factor expression language: tokenizer, Pratt parser, AST and numpy evaluator."""

from __future__ import annotations

from nautilus.factors.expr.evaluator import Evaluator, evaluate
from nautilus.factors.expr.functions import FUNCTIONS, FunctionSpec
from nautilus.factors.expr.lexer import Token, tokenize
from nautilus.factors.expr.parser import parse

__all__ = ["FUNCTIONS", "Evaluator", "FunctionSpec", "Token", "evaluate", "parse", "tokenize"]
