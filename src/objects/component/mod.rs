//! Components shared by every kind: the ACL → GRANT/REVOKE builder (`acl`). Comments
//! live in `objects::comment`.

pub mod acl;
