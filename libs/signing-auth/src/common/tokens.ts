/** The TypeORM DataSource the library works on (an alias of the host's data source). @internal */
export const SIGNING_AUTH_DATA_SOURCE = Symbol('SIGNING_AUTH_DATA_SOURCE');
