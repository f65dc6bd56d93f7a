/** The io.jwt.* builtin family: decoding/verification and signing live in their own modules. */
import { jwtSignBuiltins } from "./jwt-sign.js";
import { jwtVerifyBuiltins } from "./jwt-verify.js";
import type { BuiltinDecl } from "./types.js";

/** All io.jwt.* builtins. */
export const jwtBuiltins: BuiltinDecl[] = [...jwtVerifyBuiltins, ...jwtSignBuiltins];
