// The official `docspring` npm client ships no type declarations; the tests use it only to compare the
// Authorization header it sends with ours.
declare module 'docspring';
