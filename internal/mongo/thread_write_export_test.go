package mongo

// ReadThreadIDs exposes readThreadIDs to the tests of package mongo_test.
var ReadThreadIDs = readThreadIDs
