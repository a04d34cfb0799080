variable "name" {
  description = "Name prefix for every resource, e.g. \"events-dev\". The user pool is \"<name>\", its machine client \"<name>-machine\"."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource that takes them (the user pool)."
  type        = map(string)
  default     = {}
}

variable "scopes" {
  description = "OAuth scopes the user pool's resource server offers and the machine client may request, as \"<resource server>/<scope>\" (e.g. \"events/read\"): the scopes the contract's operations require. All share one resource server identifier."
  type        = list(string)

  validation {
    condition     = length(var.scopes) > 0 && alltrue([for s in var.scopes : can(regex("^[\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]{1,256}/[\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]{1,256}$", s))])
    error_message = "scopes must be a non-empty list of \"<resource server>/<scope>\" names (printable ASCII without spaces, quotes, slashes or backslashes on either side of the one slash)."
  }

  validation {
    condition     = length(distinct([for s in var.scopes : split("/", s)[0]])) == 1
    error_message = "Every scope must belong to one resource server: the same \"<resource server>/\" prefix."
  }
}

variable "domain_prefix" {
  description = "Prefix of the user pool's Cognito domain, whose /oauth2/token endpoint issues the machine client's tokens: https://<prefix>.auth.<region>.amazoncognito.com. Unique within the region across all AWS accounts; lower-case letters, digits and hyphens, at most 63 characters, not starting or ending with a hyphen, and without \"aws\", \"amazon\" or \"cognito\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.domain_prefix)) && length(regexall("aws|amazon|cognito", var.domain_prefix)) == 0
    error_message = "domain_prefix must be 1 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen, and must not contain \"aws\", \"amazon\" or \"cognito\"."
  }
}

variable "access_token_validity_minutes" {
  description = "Lifetime of the machine client's access tokens in minutes, 5 to 1440. Shorter limits how long a leaked token works; a revoked client stops getting new ones at once."
  type        = number
  default     = 60

  validation {
    condition     = var.access_token_validity_minutes >= 5 && var.access_token_validity_minutes <= 1440 && floor(var.access_token_validity_minutes) == var.access_token_validity_minutes
    error_message = "access_token_validity_minutes must be a whole number from 5 to 1440."
  }
}

variable "deletion_protection" {
  description = "Refuse DeleteUserPool while true (the pool holds every client's credentials). The pool must be unprotected before `terraform destroy`."
  type        = bool
  default     = false
}
